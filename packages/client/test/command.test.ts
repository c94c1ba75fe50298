/**
 * `--command`: the client starts any server as a child process (here the fixture, run as a file),
 * finds its port, waits for /health, and stops it with SIGTERM.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runChallenge } from '../src/challenge.js';
import { cli } from './fixtures/cli.js';

const fixture = fileURLToPath(new URL('./fixtures/server.ts', import.meta.url));
const node = `'${process.execPath}' --conditions=source --import tsx '${fixture}'`;
const small = { requests: 2000, concurrency: 20 } as const;

describe('runChallenge with a command', () => {
  it('gives it a free port as PORT, checks the final snapshot it prints', async () => {
    const report = await runChallenge({ command: node, name: 'fixture', expectFinal: true, ...small });
    expect(report.problems).toEqual([]);
    expect(report.target).toBe('fixture');
    expect(report.server?.final).toEqual(report.after);
    expect(report.server?.cpuSeconds).toBeGreaterThan(0);
  });

  it('puts the port in place of {port}', async () => {
    const report = await runChallenge({ command: `env -u PORT PORT={port} ${node}`, ...small });
    expect(report.problems).toEqual([]);
  });

  it('reads the port from what the server prints, with --port output', async () => {
    const report = await runChallenge({
      command: node,
      port: 'output',
      env: { FIXTURE_SILENT: '1' },
      ...small,
    });
    expect(report.problems).toEqual([]);
    expect(report.server?.final).toBeNull();
  });

  it('fails a server that must print a final snapshot and does not', async () => {
    const report = await runChallenge({
      command: node,
      env: { FIXTURE_SILENT: '1' },
      expectFinal: true,
      ...small,
    });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual(['the server printed no final snapshot on SIGTERM']);
  });

  it('says what a server that exits at once printed', async () => {
    await expect(runChallenge({ command: 'echo no server here; exit 3', ...small })).rejects.toThrow(
      /server exited with code 3[\s\S]*no server here/,
    );
  });
});

describe('1mrc-challenge --command', () => {
  it('runs each command in turn and prints a comparison table', async () => {
    const run = await cli([
      ...['--command', node, '--name', 'one', '--command', node, '--name', 'two'],
      ...['--requests', '1000', '--concurrency', '10', '--expect-final'],
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^PASS {2}one /m);
    expect(run.stdout).toMatch(/^PASS {2}two /m);
    expect(run.stdout).toMatch(/^\| one \| pass \|[\s\S]*^\| two \| pass \|/m);
  });
});
