/**
 * Real redis-server processes for tests: each on a free port, in its own temporary directory,
 * never a Redis already running on the machine. Standalone with AOF, or a 3-master Cluster
 * built with `redis-cli --cluster create`. Nothing here sends FLUSHALL or FLUSHDB.
 *
 * Without redis-server on PATH, `redisAvailable` says so in one line; under CI=true a missing
 * redis-server is a failure, never a skip (`requireRedis`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process.js';

export const INSTALL_HINT = 'redis-server not found: install it (Debian: apt-get install redis-server)';

function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when redis-server and redis-cli are installed. */
export const redisAvailable: boolean = onPath('redis-server') && onPath('redis-cli');

/**
 * Whether Redis tests skip: never under CI=true (they fail there instead, on a missing binary).
 * Prints the one line naming the package when they skip.
 */
export function skipWithoutRedis(): boolean {
  if (redisAvailable) return false;
  if (process.env['CI'] === 'true') throw new Error(`${INSTALL_HINT} (CI=true: Redis tests never skip)`);
  console.warn(`skipping Redis tests: ${INSTALL_HINT}`);
  return true;
}

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly pid: number;
  /** Runs redis-cli against this server; returns its output. */
  cli(...args: string[]): string;
  /** SIGKILL, wait for exit (the AOF stays in `dir`). */
  kill(): Promise<void>;
  /** Starts redis-server again on the same port and directory. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

export interface RedisProcessOptions {
  /** `always` (default), `everysec` or `no`. */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
  /** Extra `--name value` arguments. */
  readonly args?: readonly string[];
  /** For Cluster nodes. */
  readonly cluster?: boolean;
  /** Reuse this directory and port (for a node of a Cluster restarted, or a dir kept). */
  readonly dir?: string;
  readonly port?: number;
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitUntilPong(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited: ${log()}`);
    try {
      const out = execFileSync('redis-cli', ['-p', String(port), 'PING'], {
        encoding: 'utf8',
        timeout: 2000,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      // While it loads the AOF, Redis answers LOADING; wait for PONG.
      if (out.trim() === 'PONG') return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server on ${port} did not answer PING: ${log()}`);
}

/** Starts one redis-server with AOF (`appendfsync always` by default) on a free port. */
export async function startRedis(options: RedisProcessOptions = {}): Promise<RedisProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), '1mrc-redis-'));
  const port = options.port ?? (await freePort());
  // The Cluster bus listens on port + 10000 unless told otherwise: past 55535 that is no port,
  // and below it may be taken. A free port of its own, kept across restarts.
  const busPort = options.cluster ? await freePort() : undefined;
  let child!: ChildProcess;
  let output = '';
  const launch = async (): Promise<void> => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      options.appendfsync ?? 'always',
      '--save',
      '',
      '--daemonize',
      'no',
      '--logfile',
      '',
      ...(options.cluster
        ? [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, 'nodes.conf'),
            '--cluster-node-timeout',
            '2000',
            '--cluster-port',
            String(busPort),
          ]
        : []),
      ...(options.args ?? []),
    ];
    output = '';
    child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    await waitUntilPong(port, child, () => output);
  };
  await launch();
  const process_: RedisProcess = {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get pid() {
      return child.pid ?? -1;
    },
    cli: (...args) =>
      execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 }),
    async kill() {
      child.kill('SIGKILL');
      await waitForExit(child);
    },
    restart: launch,
    async stop() {
      child.kill('SIGKILL');
      await waitForExit(child);
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
  return process_;
}

export interface RedisClusterProcess {
  readonly nodes: readonly RedisProcess[];
  /** `redis+cluster://127.0.0.1:p1,…` */
  readonly storeUrl: string;
  readonly seeds: readonly { host: string; port: number }[];
  stop(): Promise<void>;
}

/** Three masters, no replicas, slots split evenly by `redis-cli --cluster create`. */
export async function startRedisCluster(masters = 3): Promise<RedisClusterProcess> {
  const nodes: RedisProcess[] = [];
  try {
    for (let i = 0; i < masters; i++) nodes.push(await startRedis({ cluster: true }));
    execFileSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    // Every node must agree before a client asks for the slot map.
    for (let i = 0; i < 400; i++) {
      const states = nodes.map((node) => node.cli('CLUSTER', 'INFO'));
      if (states.every((info) => info.includes('cluster_state:ok'))) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
  const seeds = nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  return {
    nodes,
    seeds,
    storeUrl: `redis+cluster://${seeds.map((seed) => `${seed.host}:${seed.port}`).join(',')}`,
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}
