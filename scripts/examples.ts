/** The repository's examples, as `pnpm challenge --adapter <name>` starts them. */
import { fileURLToPath } from 'node:url';

export const ADAPTERS = ['node', 'fastify', 'uws'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

/** The repository root, from scripts/. */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** `node --conditions=source --import tsx examples/<adapter>/src/main.ts`, run from the repo root. */
export function exampleCommand(adapter: AdapterName): string[] {
  return [process.execPath, '--conditions=source', '--import', 'tsx', `examples/${adapter}/src/main.ts`];
}

/** The same, as one shell command line for `1mrc-challenge --command`. */
export function exampleShellCommand(adapter: AdapterName): string {
  return exampleCommand(adapter)
    .map((word) => (/^[\w./=@:-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`))
    .join(' ');
}
