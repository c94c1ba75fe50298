#!/usr/bin/env node
/**
 * `1mrc-conformance --url http://127.0.0.1:8080 [--reset-token T | --reset-disabled] [--runs N] [--seed S]`
 * (`pnpm conformance …` in this repository):
 * runs the conformance suite against a server that is already running; exits 1 on any failure.
 */
import { parseArgs } from 'node:util';
import { runConformance } from './index.js';

const USAGE =
  'usage: 1mrc-conformance --url <http://host:port> [--reset-token <token> | --reset-disabled] [--runs <n>] [--seed <n>]';

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new TypeError(`Expected --${name} to be an integer, got ${text}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      'reset-token': { type: 'string' },
      'reset-disabled': { type: 'boolean' },
      runs: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || values.url === undefined) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const runs = integer('runs', values.runs);
  const seed = integer('seed', values.seed);
  const report = await runConformance(values.url, {
    ...(values['reset-token'] === undefined ? {} : { resetToken: values['reset-token'] }),
    ...(values['reset-disabled'] ? { resetDisabled: true } : {}),
    ...(runs === undefined ? {} : { propertyRuns: runs }),
    ...(seed === undefined ? {} : { propertySeed: seed }),
  });
  for (const { name, reason } of report.skipped) console.log(`- ${name} (skipped: ${reason})`);
  for (const { name, message } of report.failed)
    console.log(`✗ ${name}\n    ${message.replaceAll('\n', '\n    ')}`);
  console.log(
    `${report.passed} passed, ${report.failed.length} failed, ${report.skipped.length} skipped against ${values.url}`,
  );
  return report.failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
