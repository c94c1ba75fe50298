/**
 * Child processes for tests, benchmarks and scripts: one way to spawn and capture, one free
 * port, and one way to start a server as a child (any command that reads PORT and HOST, prints
 * `listening on`, and on SIGTERM drains and prints `final {snapshot json}`).
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort, spawnCaptured } from '@1mrc/client';
import type { Snapshot } from '@1mrc/core';
import { type AdapterName, exampleEntry } from './adapters.js';
import { type Memory, treeCpuSeconds, treeMemory } from './proc.js';

/** The repository root, from packages/testkit/src/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// One free port and one spawn-and-capture: the client's, which `1mrc-challenge --command` needs.
export { type CapturedChild, freePort, spawnCaptured } from '@1mrc/client';

/** `node --conditions=source --import tsx examples/<adapter>/src/main.ts`, run from the repo root. */
export function exampleCommand(adapter: AdapterName): string[] {
  return [process.execPath, '--conditions=source', '--import', 'tsx', exampleEntry(adapter)];
}

/** How a command run to its end ended, and all it printed. */
export interface Finished {
  /** The exit code; 1 when it could not say one (killed by a signal, not started). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a TypeScript entry of this repository from source (`--conditions=source --import tsx`) to its end. */
export function runFromSource(entry: string, args: readonly string[]): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', entry, ...args],
      { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** GET with a fresh connection each time, so no keep-alive socket of ours delays the server's close. */
export function getText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (text: string) => {
        body += text;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** CPU seconds of the process and its children (cluster workers), from /proc. */
  cpuSeconds(): number;
  /** RSS and peak RSS of the process and its children, added up, from /proc. */
  memory(): Memory;
  /** SIGTERM (SIGKILL after `timeoutMs`), wait for exit; the `final` snapshot it printed, if any. */
  stop(): Promise<Snapshot | undefined>;
}

export interface StartOptions {
  /** Default: the repository root. */
  readonly cwd?: string;
  /** Added to this process's environment (PORT and HOST are set by `startServerProcess`). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long it may take to answer GET /health, and to exit once told to. Default 60 s. */
  readonly timeoutMs?: number;
}

const running = new Set<ChildProcess>();
/** Never leave a server behind, whatever way the parent ends. */
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `command` on a free loopback port; resolves once it printed `listening on` and GET /health answers 200. */
export async function startServerProcess(
  command: readonly string[],
  options: StartOptions = {},
): Promise<ServerProcess> {
  const [file, ...args] = command;
  if (file === undefined) throw new TypeError('Expected a command, got an empty list');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const { child, stdout, stderr, exited } = spawnCaptured(file, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
  });
  running.add(child);
  let hasExited = false;
  exited.then(() => {
    hasExited = true;
    running.delete(child);
  });
  const pid = child.pid;
  const deadline = Date.now() + timeoutMs;
  try {
    if (pid === undefined) throw new Error('could not start it');
    while (!(/listening on/.test(stdout()) && (await healthStatus(url)) === 200)) {
      if (hasExited)
        throw new Error(`it exited with ${child.exitCode ?? child.signalCode} before it was ready`);
      if (Date.now() > deadline)
        throw new Error(`GET ${url}/health did not answer 200 within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${command.join(' ')}: ${(error as Error).message}; it printed:\n${stdout()}${stderr()}`);
  }
  let stopping: Promise<Snapshot | undefined> | undefined;
  return {
    url,
    pid,
    stdout,
    stderr,
    cpuSeconds: () => treeCpuSeconds(pid),
    memory: () => treeMemory(pid),
    stop() {
      stopping ??= (async () => {
        if (!hasExited) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
        const line = /^final (.*)$/m.exec(stdout())?.[1];
        return line === undefined ? undefined : (JSON.parse(line) as Snapshot);
      })();
      return stopping;
    },
  };
}

async function healthStatus(url: string): Promise<number> {
  try {
    return (await getText(`${url}/health`)).status;
  } catch {
    return 0;
  }
}
