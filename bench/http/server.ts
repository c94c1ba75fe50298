/** Starts one target as a pinned child process and stops it the way an operator would. */
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { freePort, spawnCaptured } from '../../packages/client/src/server-process.js';

export interface Program {
  readonly name: string;
  /** What node runs: a file, with the flags it needs before it. */
  readonly args: readonly string[];
}

export interface StartOptions {
  /** A CPU list as `taskset -c` takes it: `0`, `0-1`. */
  readonly cpu: number | string;
  readonly root: string;
  /** Directory for `node --cpu-prof` output; unset means no profile. */
  readonly profileDir?: string | undefined;
  /** More environment for the server (`WORKERS`). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ServerProcess {
  readonly pid: number;
  readonly url: string;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then the `final {...}` line it printed (undefined if none) once it exited. */
  stop(): Promise<string | undefined>;
}

const running = new Set<ChildProcess>();
/** Never leave a server behind, whatever way the harness ends. */
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startServer(target: Program, options: StartOptions): Promise<ServerProcess> {
  const port = await freePort();
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const { child, stdout, stderr, exited } = spawnCaptured(
    'taskset',
    ['-c', String(options.cpu), process.execPath, ...profile, ...target.args],
    { cwd: options.root, env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' } },
  );
  running.add(child);
  let hasExited = false;
  exited.then(() => {
    hasExited = true;
    running.delete(child);
  });

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!(/listening on/.test(stdout()) && (await status(`${url}/health`)) === 200)) {
    if (hasExited) throw new Error(`${target.name} exited before it was ready:\n${stderr() || stdout()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${target.name} was not ready after 60 s:\n${stderr() || stdout()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (child.pid === undefined) throw new Error(`${target.name} has no pid`);
  let stopping: Promise<string | undefined> | undefined;
  return {
    pid: child.pid,
    url,
    stderr,
    stop() {
      stopping ??= (async () => {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
        return /^final (.*)$/m.exec(stdout())?.[1];
      })();
      return stopping;
    },
  };
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

async function status(url: string): Promise<number> {
  try {
    return (await getText(url)).status;
  } catch {
    return 0;
  }
}
