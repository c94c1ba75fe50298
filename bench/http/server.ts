/** Starts one target as a pinned child process (the test kit's server child, under taskset). */
import { type ServerProcess, startServerProcess } from '@1mrc/testkit';

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

export function startServer(target: Program, options: StartOptions): Promise<ServerProcess> {
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  // taskset execs node, so the pid is the server's.
  return startServerProcess(
    ['taskset', '-c', String(options.cpu), process.execPath, ...profile, ...target.args],
    {
      cwd: options.root,
      ...(options.env ? { env: options.env } : {}),
    },
  );
}
