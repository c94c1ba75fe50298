/**
 * A server run as a child process for the length of one run: any shell command (or argv). It
 * gets its port as `PORT` (and `{port}` in the command), or says which port it took in its
 * output; it is ready once `GET /health` answers; it is stopped with SIGTERM to its whole
 * process group, and may print `final {snapshot json}` as it exits.
 */
import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Snapshot } from '@1mrc/core';
import { request } from 'undici';

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
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM to its process group, wait for exit; the `final` snapshot it printed, if it printed one. */
  stop(): Promise<Snapshot | undefined>;
}

/** A loopback port nobody listens on right now. */
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

/** USER_HZ, the unit of /proc/<pid>/stat's times; 100 where getconf cannot say. */
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

/**
 * Ready means up: GET /health answers 200, or any status below 500 (a server without a health
 * route answers 404 and still serves). A 5xx (503 while a store connects) or no answer: not yet.
 */
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
      if (statusCode < 500) return;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) throw new Error(`GET ${url}/health did not answer within ${timeoutMs} ms`);
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

/** Spawns `file` with stdout and stderr piped and kept as text. */
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

/**
 * Where the server listens:
 * - `'auto'` (default): a free loopback port, picked by the client;
 * - a number: that port;
 * - `'output'`: whatever port the server chooses (it gets `PORT=0`): the first
 *   `http://host:port` it prints on stdout or stderr.
 * In the first two cases the port is given as `PORT` and replaces `{port}` in a shell command.
 */
export type PortChoice = number | 'auto' | 'output';

export interface StartOptions {
  readonly cwd?: string;
  /** Added to the client's own environment (with PORT and HOST). */
  readonly env?: Readonly<Record<string, string>>;
  readonly port?: PortChoice;
  /** How long the server may take to answer /health; and to exit after SIGTERM. Default 60,000 ms. */
  readonly timeoutMs?: number;
}

const URL_IN_OUTPUT = /https?:\/\/(\[[0-9a-fA-F:.]+\]|[\w.-]+):(\d{1,5})/;

/** The first URL the server printed; a wildcard host means its loopback. */
function printedUrl(output: string): string | undefined {
  const match = URL_IN_OUTPUT.exec(output);
  if (!match) return undefined;
  const host = match[1] === '0.0.0.0' ? '127.0.0.1' : match[1] === '[::]' ? '[::1]' : match[1];
  return `http://${host}:${match[2]}`;
}

/** Every server started and not yet stopped: killed with the client, however it ends. */
const live = new Set<number>();
process.on('exit', () => {
  for (const pid of live) killGroup(pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // The server runs in its own process group, so a shell and what it started all get the signal.
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Stops every server still running (for a CLI's SIGINT handler). */
export function killServers(): void {
  for (const pid of live) killGroup(pid, 'SIGKILL');
  live.clear();
}

/** Shell operators: a command without any is one program, which the shell can become with `exec`. */
const COMPOUND = /[;&|<>()`$\n]/;

/**
 * A simple command runs as `exec <command>`, so SIGTERM reaches the server itself (the shell
 * would die of it and leave the server running); a compound one runs as written.
 */
function shellLine(command: string, port: number): string {
  const line = command.replaceAll('{port}', String(port));
  if (COMPOUND.test(line)) return line;
  // `exec` goes after leading assignments (`PORT=1 exec node …` still exports them).
  const assignments = /^\s*(?:[A-Za-z_]\w*=\S*\s+)*/.exec(line)?.[0] ?? '';
  return `${assignments}exec ${line.slice(assignments.length)}`;
}

/**
 * Starts a server and resolves once it answers GET /health. A string runs with `/bin/sh -c`;
 * an array is an argv run as is.
 */
export async function startServerProcess(
  command: string | readonly string[],
  options: StartOptions = {},
): Promise<ServerProcess> {
  const choice = options.port ?? 'auto';
  if (
    choice !== 'auto' &&
    choice !== 'output' &&
    !(Number.isInteger(choice) && choice > 0 && choice < 65536)
  ) {
    throw new TypeError(`Expected port to be 'auto', 'output' or a port number, got ${String(choice)}`);
  }
  const port = choice === 'auto' ? await freePort() : choice === 'output' ? 0 : choice;
  const argv = typeof command === 'string' ? ['/bin/sh', '-c', shellLine(command, port)] : [...command];
  const [file, ...args] = argv;
  if (file === undefined || (typeof command === 'string' && command.trim() === '')) {
    throw new TypeError('Expected a command, got an empty one');
  }
  const label = typeof command === 'string' ? command : command.join(' ');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const { child, stdout, stderr, exited } = spawnCaptured(file, args, {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    detached: true,
  });
  const pid = child.pid;
  if (pid !== undefined) live.add(pid);
  // 'close': every process holding its output is gone, so a late `final` line is not missed.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let url = port === 0 ? undefined : `http://127.0.0.1:${port}`;
  try {
    if (pid === undefined) throw new Error(`could not start ${label}`);
    const deadline = Date.now() + timeoutMs;
    while (url === undefined) {
      url = printedUrl(stdout()) ?? printedUrl(stderr());
      if (url !== undefined) break;
      if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`printed no http://host:port within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await waitForHealth(url, Math.max(0, deadline - Date.now()), child);
  } catch (error) {
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
    await exited;
    if (pid !== undefined) live.delete(pid);
    throw new Error(`${(error as Error).message}\n${label} printed:\n${stdout()}${stderr()}`);
  }
  const found = url;
  return {
    url: found,
    pid,
    usage: () => processTreeUsage(pid),
    output: () => stdout() + stderr(),
    async stop() {
      // The server first (a cluster's primary drains its own workers), then whatever it left behind.
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), timeoutMs);
      await exited;
      killGroup(pid, 'SIGTERM');
      await closed;
      clearTimeout(timer);
      live.delete(pid);
      const line = stdout()
        .split('\n')
        .find((l) => l.startsWith('final '));
      if (line === undefined) return undefined;
      try {
        return JSON.parse(line.slice('final '.length)) as Snapshot;
      } catch {
        return undefined;
      }
    },
  };
}
