import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { skipsUws } from '../../../test/uws-availability.js';
import { runChallenge } from '../src/challenge.js';
import { ENGINES } from '../src/engines.js';
import { ADAPTERS } from '../src/server-process.js';
import { cli } from './fixtures/cli.js';

// Each adapter's example runs as a child process, as `pnpm challenge --adapter <name>` runs it.
describe.each(ADAPTERS.filter((adapter) => !skipsUws(adapter)))('the %s adapter', (adapter) => {
  it.each(ENGINES)('passes 20,000 requests on 100 connections with the %s engine', async (engine) => {
    const report = await runChallenge({ adapter, engine, requests: 20_000, concurrency: 100 });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.server?.final).toEqual(report.after);
    expect(report.server?.peakRssBytes).toBeGreaterThan(0);
    expect(report.server?.cpuSeconds).toBeGreaterThan(0);
  });
});

describe('pnpm challenge --adapter', () => {
  it('starts the example, passes, and writes the report files', async () => {
    const out = await mkdtemp(join(tmpdir(), '1mrc-results-'));
    try {
      const run = await cli([
        '--adapter',
        'node',
        '--requests',
        '20000',
        '--concurrency',
        '100',
        '--out',
        out,
      ]);
      expect(run.stderr).toMatch(/node is up at http:\/\/127\.0\.0\.1:\d+/);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^PASS {2}node/);
      const files = await readdir(out);
      expect(files).toEqual(expect.arrayContaining(['latest.md', 'latest.svg']));
      const json = files.find((f) => f.endsWith('.json')) ?? '';
      const [report] = JSON.parse(await readFile(join(out, json), 'utf8'));
      expect(report).toMatchObject({ ok: true, target: 'node', succeeded: 20_000 });
      expect(await readFile(join(out, 'latest.svg'), 'utf8')).toMatch(/^<svg[\s\S]*node[\s\S]*<\/svg>/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
