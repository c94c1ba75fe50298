// The first half of how every example starts (`pnpm start` in examples/<name>):
//   node ../transpile.mjs && exec node --conditions=workspace-js js/main.js
// The server runs as plain JavaScript on bare node: a TypeScript loader (tsx) adds about 40 MB
// of RSS and a loader thread to the server and to every worker it starts. So the workspace's
// TypeScript is transpiled here, file by file, in one esbuild call in a process of its own (the
// server does not carry esbuild): packages/*/src to packages/*/js, and the example's src to its
// js. The `workspace-js` export condition (on the server's command line, so worker threads and
// cluster workers inherit it) points each @1mrc package at its js files. A file is written only
// when it changes, through a rename, so two examples starting at once never read half a file.
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const entryPoints = [...packages, example].flatMap(sources);

/** Modified since: a file's mtime, or -Infinity when it does not exist. */
const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
};
// Nothing changed since the last start (every output at least as new as its source and as this
// script): esbuild is not even loaded, and the server starts half a second sooner.
const self = mtime(fileURLToPath(import.meta.url));
const fresh = entryPoints.every(({ in: source, out }) => {
  const built = mtime(join(root, `${out}.js`));
  return built >= mtime(source) && built >= self;
});
if (!fresh) await transpile();

async function transpile() {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints,
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
    if (current === file.text) {
      // Unchanged, but its source was touched (a checkout): marked fresh for the next start.
      const now = new Date();
      utimesSync(file.path, now, now);
      continue;
    }
    mkdirSync(dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.text);
    renameSync(temporary, file.path);
  }
  const main = join(example, 'js', 'main.js');
  if (!result.outputFiles.some((file) => file.path === main)) {
    throw new Error(`examples/transpile.mjs: no src/main.ts in ${relative(root, example) || example}`);
  }
}
