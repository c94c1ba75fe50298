/**
 * Compiles a target to one plain .mjs so the server runs on bare `node`: a TypeScript loader
 * (tsx) adds about 40 MB of RSS and a loader thread to every process, which would swamp the
 * RSS goals. Workspace packages are bundled from `src` (the `source` condition); npm packages
 * stay external, pinned to the absolute file their importer would load, and each source file
 * keeps its own `import.meta.url`, so a bundle in a temporary directory loads the very same
 * fastify or uWebSockets.js, however the code finds them.
 */
import { readFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// esbuild comes with tsx; typed here by the few calls used, since bench/ cannot see its types.
interface ResolveArgs {
  readonly path: string;
  readonly kind: string;
  readonly resolveDir: string;
  readonly importer: string;
  readonly pluginData?: unknown;
}
interface PluginBuild {
  onLoad(
    filter: { filter: RegExp },
    callback: (args: { path: string }) => Promise<{ contents: string; loader: string }>,
  ): void;
  onResolve(
    filter: { filter: RegExp },
    callback: (args: ResolveArgs) => Promise<{ path: string; external: boolean } | undefined>,
  ): void;
  resolve(
    path: string,
    options: { kind: string; resolveDir: string; importer: string; pluginData: unknown },
  ): Promise<{ path: string; errors: readonly { text: string }[] }>;
}
interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}
const esbuild = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'))(
  'esbuild',
) as Esbuild;

const NESTED = Symbol('resolving an external');

const pinExternals = {
  name: 'pin-externals',
  setup(build: PluginBuild): void {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === NESTED || args.path.startsWith('@1mrc/')) return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const { kind, resolveDir, importer } = args;
      const found = await build.resolve(args.path, { kind, resolveDir, importer, pluginData: NESTED });
      if (found.errors.length > 0) throw new Error(found.errors.map((error) => error.text).join('\n'));
      return { path: found.path, external: true };
    });
  },
};

// `createRequire(import.meta.url)` and `new URL(..., import.meta.url)` must keep resolving from
// where the source file lives, not from the bundle. A textual swap also touches comments and
// strings that spell `import.meta.url`, which changes nothing that runs.
const keepModuleUrls = {
  name: 'keep-module-urls',
  setup(build: PluginBuild): void {
    build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

/** Writes `<outDir>/<name>.mjs` from the TypeScript entry and returns its path. */
export async function bundle(entry: string, name: string, outDir: string): Promise<string> {
  const outfile = join(outDir, `${name}.mjs`);
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['source'],
    plugins: [pinExternals, keepModuleUrls],
    logLevel: 'error',
  });
  return outfile;
}
