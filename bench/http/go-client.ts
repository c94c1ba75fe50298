/** Builds and runs bench/go-client, the official challenge client's methodology in Go. */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runPinned } from './pinned.js';

export interface GoClientResult {
  readonly requestsPerSecond: number;
  readonly errors: number;
  /** The client's own check of /stats against the events it sent. */
  readonly correct: boolean;
  readonly firstError?: string;
  readonly seconds: number;
  readonly clientCpuSeconds: number;
}

/** Compiles the client into `outDir` and returns the binary, or explains how to get Go. */
export function buildGoClient(root: string, outDir: string): string {
  if (spawnSync('go', ['version']).error !== undefined) {
    throw new Error('Go is not installed. On Debian/Ubuntu: apt-get install -y golang');
  }
  const binary = join(outDir, 'go-client');
  execFileSync('go', ['build', '-o', binary, '.'], { cwd: join(root, 'bench/go-client'), stdio: 'inherit' });
  return binary;
}

export async function runGoClient(
  binary: string,
  options: { url: string; cpu: number; requests: number; workers: number },
): Promise<GoClientResult> {
  const argv = [
    binary,
    '-url',
    options.url,
    '-n',
    String(options.requests),
    '-workers',
    String(options.workers),
  ];
  const run = await runPinned(options.cpu, argv).done;
  const line = /^result (.*)$/m.exec(run.stdout)?.[1];
  if (line === undefined) throw new Error(`go-client exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
  const result = JSON.parse(line) as {
    requestsPerSecond: number;
    errors: number;
    correct: boolean;
    firstError?: string;
  };
  return {
    requestsPerSecond: result.requestsPerSecond,
    errors: result.errors,
    correct: result.correct,
    ...(result.firstError === undefined ? {} : { firstError: result.firstError }),
    seconds: run.seconds,
    clientCpuSeconds: run.cpuSeconds,
  };
}
