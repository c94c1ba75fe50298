/**
 * `pnpm challenge`: the challenge client (`1mrc-challenge`, @1mrc/client) against this
 * repository's examples. It only turns `--adapter`, `--workers` and `--store` into the client's
 * `--command`, `--name`, `--env` and `--expect-final`; every other option goes to the client as is.
 */
import { parseArgs } from 'node:util';
import { uwsAvailability } from '@1mrc/adapter-uws';
import { HELP, main } from '@1mrc/client/cli';
import { ADAPTERS, type AdapterName, exampleShellCommand, REPO_ROOT } from './examples.js';

const USAGE = `Usage: pnpm challenge [--adapter <name>] [--workers <n|auto>] [--store <url>] [client options]

Runs the challenge against this repository's examples (or, with --url or --command, anything).

Example server:
  --adapter <name>        start examples/<name>: ${ADAPTERS.join(' | ')} | all (default: uws;
                          "all" runs each in turn, prints a comparison table and writes it to
                          results/, which git ignores, unless --out says elsewhere)
  --workers <n|auto>      WORKERS for the example: event loops it serves on (default 1)
  --store <url>           STORE for the example: memory (the default) or a shared store's URL

The client's own options follow (1mrc-challenge --help):

${HELP.slice(HELP.indexOf('\n\n') + 2)}`;

/** The repo's own flags, taken out of the arguments; the rest is the client's. */
function split(args: readonly string[]): { own: Record<string, string | undefined>; rest: string[] } {
  const own = ['adapter', 'workers', 'store'] as const;
  const { tokens } = parseArgs({
    args: [...args],
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: Object.fromEntries(own.map((name) => [name, { type: 'string' }])),
  });
  const values: Record<string, string | undefined> = {};
  const drop = new Set<number>();
  for (const token of tokens) {
    if (token.kind !== 'option' || !(own as readonly string[]).includes(token.name)) continue;
    values[token.name] = token.value;
    drop.add(token.index);
    if (token.inlineValue === false) drop.add(token.index + 1);
  }
  return { own: values, rest: args.filter((_, i) => !drop.has(i)) };
}

class UsageError extends Error {}
class Unavailable extends Error {}

/**
 * Where no native uWebSockets.js loads for this Node.js, says so in one line with the fix: the
 * default run goes on the node adapter instead, `all` runs without uws, and `--adapter uws` stops.
 * Checked here because the example runs on this same Node.js.
 */
function withUwsFallback(adapters: readonly AdapterName[], byDefault: boolean): readonly AdapterName[] {
  if (!adapters.includes('uws')) return adapters;
  const availability = uwsAvailability();
  if (availability.ok) return adapters;
  const line = `uws: ${availability.reason}; fix: ${availability.fix}, or use --adapter node`;
  if (adapters.length === 1 && !byDefault) throw new Unavailable(line);
  process.stderr.write(`${line}; ${byDefault ? 'running on the node adapter instead' : 'skipping uws'}\n`);
  return byDefault ? ['node'] : adapters.filter((a) => a !== 'uws');
}

function exampleArgs(own: Record<string, string | undefined>, rest: readonly string[]): string[] {
  const { adapter, workers, store } = own;
  const elsewhere = rest.some((a) => /^--(url|command)(=|$)/.test(a));
  if (elsewhere) {
    if (adapter !== undefined || workers !== undefined || store !== undefined) {
      throw new UsageError(
        '--adapter, --workers and --store start an example: give them without --url or --command',
      );
    }
    return [...rest];
  }
  const name = adapter ?? 'uws';
  if (name !== 'all' && !(ADAPTERS as readonly string[]).includes(name)) {
    throw new UsageError(`--adapter takes one of ${[...ADAPTERS, 'all'].join(', ')}, got "${name}"`);
  }
  if (workers !== undefined && workers !== 'auto' && !/^[1-9]\d*$/.test(workers)) {
    throw new UsageError(`--workers takes a positive integer or auto, got "${workers}"`);
  }
  if (store !== undefined && store.trim() === '') throw new UsageError('--store takes memory or a URL');
  const adapters = withUwsFallback(name === 'all' ? ADAPTERS : [name as AdapterName], adapter === undefined);
  const targets = adapters.flatMap((a) => ['--command', exampleShellCommand(a), '--name', a]);
  const env = [
    ...(workers === undefined ? [] : ['--env', `WORKERS=${workers}`]),
    // "memory" is the examples' default: passing it changes nothing, so it is not passed.
    ...(store === undefined || store === 'memory' ? [] : ['--env', `STORE=${store}`]),
  ];
  const out = name === 'all' && !rest.some((a) => /^--out(=|$)/.test(a)) ? ['--out', 'results'] : [];
  return [...targets, '--expect-final', ...env, ...out, ...rest];
}

let args: string[];
const { own, rest } = split(process.argv.slice(2));
try {
  args = rest.includes('--help') || rest.includes('-h') ? ['--help'] : exampleArgs(own, rest);
} catch (error) {
  if (error instanceof Unavailable) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${error.message}\n\n${USAGE}\n`);
  process.exit(2);
}
// The examples' paths are relative to the repository root, wherever pnpm was run from.
process.chdir(REPO_ROOT);
process.exitCode = await main(args, { help: USAGE });
