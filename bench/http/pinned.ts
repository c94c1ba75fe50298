/** Runs a load client pinned to one CPU and reports the CPU time it used. */
import { spawn } from 'node:child_process';

export interface PinnedRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** User + system CPU seconds the client used. */
  readonly cpuSeconds: number;
  /** Wall-clock seconds from start to exit, or to `finish()` when called. */
  readonly seconds: number;
}

export interface Pinned {
  /** Marks the end of the load (for the wall clock) and sends SIGINT to the client. */
  finish(): void;
  readonly done: Promise<PinnedRun>;
}

// `times` reports the CPU its finished children used, which /proc cannot once the client has
// exited. The INT trap keeps the shell alive to report after the client is ended with SIGINT.
const WRAPPER = 'trap : INT; cpu=$1; shift; taskset -c "$cpu" "$@"; rc=$?; times >&2; exit $rc';

export function runPinned(cpu: number, argv: readonly string[], onStdout?: (all: string) => void): Pinned {
  // Its own process group, so SIGINT reaches the client without touching the harness.
  const child = spawn('sh', ['-c', WRAPPER, 'pinned', String(cpu), ...argv], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = (): void => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  };
  process.once('exit', kill);

  const started = process.hrtime.bigint();
  let ended: bigint | undefined;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    onStdout?.(stdout);
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });

  const done = new Promise<PinnedRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      process.off('exit', kill);
      ended ??= process.hrtime.bigint();
      const times = [...stderr.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      const [user, system] = times.slice(-2);
      if (user === undefined || system === undefined) {
        reject(new Error(`no CPU times for ${argv[0]}:\n${stdout}\n${stderr}`));
        return;
      }
      const seconds = Number(ended - started) / 1e9;
      resolve({ code, stdout, stderr, cpuSeconds: user + system, seconds });
    });
  });

  return {
    finish() {
      if (ended !== undefined) return;
      ended = process.hrtime.bigint();
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
    },
    done,
  };
}
