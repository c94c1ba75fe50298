import { execFile } from 'node:child_process';
import { REPO_ROOT } from '@1mrc/testkit';
import { describe, expect, it } from 'vitest';
import { serveMutant } from './contract-server.js';

/** `1mrc-conformance …` from its sources, as `pnpm conformance` runs it. */
function conformance(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'packages/conformance/src/cli.ts', ...args],
      { cwd: REPO_ROOT },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('1mrc-conformance', () => {
  it('passes a server with a reset token tested without it, skipping /reset with the flag to pass', async () => {
    const server = await serveMutant({ resetToken: 'cli-secret' });
    try {
      const run = await conformance(['--url', server.url, '--runs', '5']);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(
        /- POST \/reset with a wrong token is 401 \(skipped: .*pass --reset-token <token>/,
      );
      expect(run.stdout).toMatch(/\d+ passed, 0 failed, \d+ skipped against http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      await server.close();
    }
  });

  it('exits 1 on a failing case and 2 on a server it cannot reach or bad usage', async () => {
    const broken = await serveMutant(
      {},
      { reply: ({ headers: { allow: _, ...headers }, ...reply }) => ({ ...reply, headers }) },
    );
    try {
      const run = await conformance(['--url', broken.url, '--runs', '5', '--reset-disabled']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('✗ GET /event is 405 with Allow: POST');
    } finally {
      await broken.close();
    }
    expect((await conformance(['--url', broken.url])).code).toBe(2);
    expect((await conformance([])).code).toBe(2);
  });
});
