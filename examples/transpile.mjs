// The first half of how every example starts (`pnpm start` in examples/<name>):
//   node ../transpile.mjs && exec node --conditions=workspace-js js/main.js
// The server runs as plain JavaScript on bare node: a TypeScript loader (tsx) adds about 40 MB
// of RSS and a loader thread to the server and to every worker it starts. So the workspace's
// TypeScript is transpiled here, file by file, in one esbuild call in a process of its own (the
// server does not carry esbuild): packages/*/src to packages/*/js, and the example's src to its
// js. The `workspace-js` export condition (on the server's command line, so worker threads and
// cluster workers inherit it) points each @1mrc package at its js files. A file is written only
// when it changes, through a rename, so two examples starting at once never read half a file.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const example = process.cwd();
const root = resolve(import.meta.dirname, '..');

/** Every `src/**\/*.ts` of `dir`, with where its `.js` goes. */
function sources(dir) {
  const src = join(dir, 'src');
  return readdirSync(src, { recursive: true })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => ({
      in: join(src, file),
      out: relative(root, join(dir, 'js', file.replace(/\.ts$/, ''))),
    }));
}

const packages = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name));
const result = await build({
  entryPoints: [...packages, example].flatMap(sources),
  outdir: root,
  outbase: root,
  bundle: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  write: false,
  logLevel: 'error',
});

for (const file of result.outputFiles) {
  let current;
  try {
    current = readFileSync(file.path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === file.text) continue;
  mkdirSync(dirname(file.path), { recursive: true });
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temporary, file.text);
  renameSync(temporary, file.path);
}
const main = join(example, 'js', 'main.js');
if (!result.outputFiles.some((file) => file.path === main)) {
  throw new Error(`examples/transpile.mjs: no src/main.ts in ${relative(root, example) || example}`);
}
