/**
 * A server run as a child process for the length of one run: an adapter's example, or any
 * command that reads PORT and HOST, prints "listening on", and on SIGTERM drains and prints
 * `final {snapshot json}`.
 */
import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '@1mrc/core';
import { request } from 'undici';

export const ADAPTERS = ['node', 'fastify', 'uws'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

export interface ServerUsage {
  /**
   * User plus system CPU time of the whole process (all its threads) and of its child
   * processes (a cluster's workers), in seconds.
   */
  readonly cpuSeconds: number;
  /** Peak resident set size (VmHWM), in bytes; with child processes, their peaks added up. */
  readonly peakRssBytes: number;
}

export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** Read from /proc (Linux); undefined elsewhere or once the process is gone. */
  usage(): ServerUsage | undefined;
  /** SIGTERM, wait for exit; the `final` snapshot it printed, if it printed one. */
  stop(): Promise<Snapshot | undefined>;
}

/** The repository root, from packages/client/{src,dist}/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `node --conditions=source --import tsx examples/<adapter>/src/main.ts`, run from the repo root. */
export function exampleCommand(adapter: AdapterName): string[] {
  return [process.execPath, '--conditions=source', '--import', 'tsx', `examples/${adapter}/src/main.ts`];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime from /proc/<pid>/stat (proc(5)), VmHWM from /proc/<pid>/status. */
export function processUsage(pid: number): ServerUsage | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; fields resume after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    if (hwm === undefined || !Number.isFinite(ticks)) return undefined;
    return { cpuSeconds: ticks / ticksPerSecond(), peakRssBytes: Number(hwm) * 1024 };
  } catch {
    return undefined;
  }
}

/** `processUsage` of a process and all its descendants, added up (Linux). */
export function processTreeUsage(pid: number): ServerUsage | undefined {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    try {
      const children = readFileSync(`/proc/${tree[i]}/task/${tree[i]}/children`, 'utf8').trim();
      if (children) tree.push(...children.split(/\s+/).map(Number));
    } catch {
      // Gone, or no /proc: what was read so far is all there is.
    }
  }
  const usages = tree.map(processUsage);
  const [first, ...rest] = usages;
  if (first === undefined) return undefined;
  return rest.reduce<ServerUsage>(
    (total, usage) =>
      usage === undefined
        ? total
        : {
            cpuSeconds: total.cpuSeconds + usage.cpuSeconds,
            peakRssBytes: total.peakRssBytes + usage.peakRssBytes,
          },
    first,
  );
}

export async function waitForHealth(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      const { statusCode, body } = await request(`${url}/health`, {
        headersTimeout: 2000,
        bodyTimeout: 2000,
        reset: true,
      });
      await body.dump();
      if (statusCode === 200) return;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) throw new Error(`GET ${url}/health did not answer 200 within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A child process whose output is kept, for its `listening on` and `final` lines. */
export interface CapturedChild {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Its exit code, or the signal that ended it. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

export function spawnCaptured(file: string, args: readonly string[], options: SpawnOptions): CapturedChild {
  const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

export interface StartOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** Starts `command` on a free loopback port and resolves once GET /health answers 200. */
export async function startServerProcess(
  command: readonly string[],
  options: StartOptions = {},
): Promise<ServerProcess> {
  const [file, ...args] = command;
  if (file === undefined) throw new TypeError('Expected a command, got an empty list');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { child, stdout, stderr, exited } = spawnCaptured(file, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
  });
  const pid = child.pid;
  try {
    if (pid === undefined) throw new Error(`could not start ${command.join(' ')}`);
    await waitForHealth(url, options.timeoutMs ?? 60_000, child);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${(error as Error).message}\n${command.join(' ')} printed:\n${stdout()}${stderr()}`);
  }

  return {
    url,
    pid,
    usage: () => processTreeUsage(pid),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
      await exited;
      clearTimeout(timer);
      const line = stdout()
        .split('\n')
        .find((l) => l.startsWith('final '));
      return line === undefined ? undefined : (JSON.parse(line.slice('final '.length)) as Snapshot);
    },
  };
}
