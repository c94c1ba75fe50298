import { spawn } from 'node:child_process';
import { itUws, REPO_ROOT } from '@1mrc/testkit';
import { expect, it } from 'vitest';

const example = `${REPO_ROOT}examples/uws/`;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the uws example; `onListening` is called once it prints its address. */
function runExample(env: Record<string, string>, onListening?: (kill: () => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
      cwd: example,
      env: { ...process.env, PORT: '0', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      if (onListening && /listening on http:\/\/127\.0\.0\.1:\d+/.test(stdout)) {
        const callback = onListening;
        onListening = undefined;
        callback(() => child.kill('SIGTERM'));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('refuses to start on the pure-JavaScript fallback, loudly', async () => {
  const run = await runExample({ UWS_USE_FALLBACK: '1' });
  expect(run.code).not.toBe(0);
  expect(run.stderr).toContain(
    'UWS_USE_FALLBACK=1 asks uWebSockets.js for its slow pure-JavaScript fallback',
  );
  expect(run.stdout).not.toContain('listening on');
});

itUws('starts on the native binary and drains on SIGTERM', async () => {
  const run = await runExample({ UWS_USE_FALLBACK: '' }, (kill) => kill());
  expect(run.stderr).toBe('');
  expect(run.stdout).toMatch(/adapter-uws listening on http:\/\/127\.0\.0\.1:\d+/);
  expect(run.stdout).toContain('final {"totalRequests":0,"uniqueUsers":0,"sum":0,"avg":0}');
  expect(run.code).toBe(0);
});
