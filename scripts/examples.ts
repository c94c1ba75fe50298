/** The repository's examples as `pnpm challenge --adapter <name>` starts them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// Not the kit's index: that picks the adapters the tests run, checking uWS (and printing about it).
import type { AdapterName } from '@1mrc/testkit/adapters';
import { REPO_ROOT } from '@1mrc/testkit/process';

export { ADAPTER_NAMES as ADAPTERS, type AdapterName } from '@1mrc/testkit/adapters';
export { REPO_ROOT } from '@1mrc/testkit/process';

/**
 * The shell command for `1mrc-challenge --command`: the example's own `start` script (plain
 * JavaScript, no TypeScript loader; see examples/transpile.mjs), run in its folder, so the
 * challenge measures the server exactly as `pnpm --filter example-<name> start` runs it.
 */
export function exampleShellCommand(adapter: AdapterName): string {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', adapter, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const start = manifest.scripts?.start;
  if (start === undefined) throw new Error(`examples/${adapter}/package.json has no start script`);
  return `cd examples/${adapter} && ${start}`;
}
