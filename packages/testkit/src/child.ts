/**
 * Scripts of this repository in child processes, spoken to by lines on stdin and stdout; and an
 * adapter serving in one (for the tests that measure a server's memory or need more file
 * descriptors than one process may hold).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '@1mrc/core';
import type { ServeOptions } from '@1mrc/server';
import type { AdapterName } from './adapters.js';
import { REPO_ROOT } from './process.js';

const SERVER_CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));

/** A TypeScript script of this repository running in a child process, spoken to by lines. */
export interface Child {
  readonly pid: number;
  /** The rest of the next stdout line that starts with `${word} `. */
  line(word: string, timeoutMs?: number): Promise<string>;
  /** Writes `command` and a newline to its stdin. */
  send(command: string): void;
  /** What it printed so far, for error messages. */
  output(): string;
  readonly exited: Promise<number | null>;
  kill(): void;
}

/**
 * Starts `script` (a path, relative to the repository root or absolute) under `node --expose-gc`, its open-file limit
 * raised to `fileLimit` if the hard limit allows, else to the hard limit: `ulimit -n` can only be
 * changed from outside node, hence the shell. `nodeFlags` go to node before the script.
 */
export function startChild(
  script: string,
  args: readonly string[],
  fileLimit = 1024,
  nodeFlags: readonly string[] = [],
): Child {
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -n ${fileLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`,
      'bash',
      process.execPath,
      '--expose-gc',
      ...nodeFlags,
      '--conditions=source',
      '--import',
      'tsx',
      script,
      ...args,
    ],
    { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  let all = '';
  let partial = '';
  let wake: (() => void) | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    all += chunk;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    wake?.();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    all += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
      wake?.();
    }),
  );
  if (child.pid === undefined) throw new Error(`could not start ${script}`);
  return {
    pid: child.pid,
    async line(word, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = lines.findIndex((line) => line.startsWith(`${word} `));
        if (index !== -1) return (lines.splice(index, 1)[0] as string).slice(word.length + 1);
        if (child.exitCode !== null) throw new Error(`${script} exited (${child.exitCode}):\n${all}`);
        if (Date.now() > deadline)
          throw new Error(`${script} printed no "${word}" line in ${timeoutMs} ms:\n${all}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 250);
        });
      }
    },
    send: (command) => child.stdin.write(`${command}\n`),
    output: () => all,
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

export interface HeapMemory {
  readonly rss: number;
  readonly heapUsed: number;
  /** What V8 has committed for its heap, used or not. */
  readonly heapTotal: number;
  /** Memory outside the heap that V8 knows of (buffers). */
  readonly external: number;
}

export interface ServerChild {
  readonly url: string;
  readonly pid: number;
  /** Resident set size and V8 heap after a full garbage collection. */
  memory(): Promise<HeapMemory>;
  /** Drains and exits; the final snapshot it printed. */
  close(): Promise<Snapshot>;
  kill(): void;
}

/**
 * The young generation's size is fixed for the servers whose memory is measured. From Node 22 on,
 * V8 grows it with the allocation rate, and keeps it: a plain `node:http` server on Node 24 that
 * answers 40,000 aborted requests ends with a 7 MiB heap in use but 137 MiB of heap committed
 * (RSS 152 MiB, against 87 MiB on Node 20). That is V8 sizing its nursery, not a leak, and it
 * would drown the growth these tests look for. 16 MiB is Node 20's own ceiling on 64-bit.
 */
const SERVER_NODE_FLAGS = ['--max-semi-space-size=16'];

/** `adapter` serving in a child process of its own (server-child.ts beside this file). */
export async function startServerChild(
  adapter: AdapterName,
  options: ServeOptions = {},
  fileLimit?: number,
): Promise<ServerChild> {
  const child = startChild(SERVER_CHILD, [adapter, JSON.stringify(options)], fileLimit, SERVER_NODE_FLAGS);
  try {
    const url = await child.line('listening');
    return {
      url,
      pid: child.pid,
      async memory() {
        child.send('memory');
        return JSON.parse(await child.line('memory', 30_000)) as HeapMemory;
      },
      async close() {
        child.send('close');
        const final = JSON.parse(await child.line('final', 60_000)) as Snapshot;
        await child.exited;
        return final;
      },
      kill: () => child.kill(),
    };
  } catch (error) {
    child.kill();
    throw error;
  }
}
