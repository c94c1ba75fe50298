/**
 * Installs like a published package: every public package is built and packed (`pnpm pack`
 * rewrites `workspace:*` to versions and applies `publishConfig`), each tarball passes publint
 * and arethetypeswrong, and the tarballs are installed with plain npm into a new app (third-party
 * packages from the npm registry) that pins its own fastify 5.8. That app's code (./consumer)
 * type-checks under NodeNext and bundler resolution, runs, and is what the challenge bin is
 * pointed at. Needs the npm registry; nothing else from the network.
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONSUMER = fileURLToPath(new URL('./consumer/', import.meta.url));
const PNPM = ['npx', '-y', 'pnpm@10.34.8'];
/** The fastify a user app pins: older than the workspace's, so a second copy would show. */
const USER_FASTIFY = '5.8.4';
const STEP_TIMEOUT = 600_000;

interface Output {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; a non-zero exit rejects with everything it printed. */
function run(command: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Output> {
  const [file, ...args] = command as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command.join(' ')} ended with ${signal ?? code}:\n${stdout}${stderr}`));
    });
  });
}

const packages = readdirSync(join(ROOT, 'packages')).filter(
  (name) => JSON.parse(readFileSync(join(ROOT, 'packages', name, 'package.json'), 'utf8')).private !== true,
);

let work: string;
let tarballs: Record<string, string>;
let app: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), '1mrc-pack-'));
  const packed = join(work, 'tarballs');
  // The public packages only: the test kit is private and never packed.
  const only = packages.flatMap((name) => ['--filter', `@1mrc/${name}`]);
  await run([...PNPM, '-r', ...only, 'run', 'build'], ROOT);
  await run([...PNPM, '-r', ...only, 'pack', '--pack-destination', packed], ROOT);
  tarballs = Object.fromEntries(
    readdirSync(packed).map((file) => [
      `@1mrc/${file.replace(/^1mrc-(.*)-\d+\.\d+\.\d+\.tgz$/, '$1')}`,
      join(packed, file),
    ]),
  );

  app = join(work, 'app');
  mkdirSync(app);
  cpSync(CONSUMER, app, { recursive: true });
  const dependencies = Object.fromEntries(
    Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]),
  );
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'user-app',
      private: true,
      type: 'module',
      dependencies: {
        ...dependencies,
        fastify: USER_FASTIFY,
        // The workspace's uWS build, as a user installs one: adapter-uws takes it as a peer.
        'uWebSockets.js': 'npm:@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0',
      },
      devDependencies: { '@types/node': '^20.19.0' },
    }),
  );
  await run(['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error'], app);
}, STEP_TIMEOUT);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed packages', () => {
  it('are every public package', () => {
    expect(Object.keys(tarballs).sort()).toEqual(packages.map((name) => `@1mrc/${name}`).sort());
  });

  it(
    'pass publint --strict and arethetypeswrong --profile esm-only',
    async () => {
      const check = async (file: string): Promise<void> => {
        await run([join(ROOT, 'node_modules/.bin/publint'), '--strict', file], work);
        await run(
          [join(ROOT, 'node_modules/.bin/attw'), '--profile', 'esm-only', '--format', 'ascii', file],
          work,
        );
      };
      await Promise.all(Object.values(tarballs).map(check));
    },
    STEP_TIMEOUT,
  );

  it('publish exports with no source conditions, and dependencies with versions', () => {
    for (const name of Object.keys(tarballs)) {
      const manifest = readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8');
      expect(manifest, name).not.toMatch(/"(source|workspace-js)"|workspace:|\.\/src\//);
    }
  });

  it("use the user's fastify: one copy, the pinned one, no nested second fastify", async () => {
    const { stdout } = await run(['npm', 'ls', 'fastify', '--all', '--parseable'], app);
    expect(stdout.trim().split('\n')).toEqual([join(app, 'node_modules/fastify')]);
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/fastify/package.json'), 'utf8'));
    expect(installed.version).toBe(USER_FASTIFY);
  });
});

describe("a user's app on the installed tarballs", () => {
  const tsc = (): string[] => [process.execPath, join(ROOT, 'node_modules/typescript/bin/tsc')];

  it(
    'type-checks under NodeNext (and compiles) and under bundler resolution',
    async () => {
      await Promise.all([
        run([...tsc(), '-p', 'tsconfig.nodenext.json'], app),
        run([...tsc(), '-p', 'tsconfig.bundler.json'], app),
      ]);
    },
    STEP_TIMEOUT,
  );

  it(
    "runs: the engine, the plugin in the user's fastify app, adapter-node's serve, and uWS where it loads",
    async () => {
      if (!existsSync(join(app, 'out/consumer.js')))
        await run([...tsc(), '-p', 'tsconfig.nodenext.json'], app);
      const { stdout } = await run([process.execPath, 'out/consumer.js'], app);
      const seen = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
      const one = { totalRequests: 1, uniqueUsers: 1, sum: 2.5, avg: 2.5 };
      expect(seen.engine).toEqual({ totalRequests: 3, uniqueUsers: 2, sum: 1, avg: 1 / 3 });
      expect(seen.fastify).toEqual({ post: 200, stats: one, hello: { hello: 'world' }, store: one });
      expect(seen.node).toEqual({ post: 200, stats: one });
      // The workspace's uWS build has binaries up to Node 20 (ABI 115).
      if (Number(process.versions.modules) <= 115) expect(seen.uws).toEqual({ post: 200, stats: one });
      else expect(seen.uws.skipped).toMatch(/has no binary/);
    },
    STEP_TIMEOUT,
  );

  it(
    "the challenge bin, from the user's node_modules, starts the user's server with --command and passes",
    async () => {
      if (!existsSync(join(app, 'out/server.js'))) await run([...tsc(), '-p', 'tsconfig.nodenext.json'], app);
      const bin = join(app, 'node_modules/.bin/1mrc-challenge');
      const { stdout } = await run(
        [bin, '--command', `${process.execPath} out/server.js`, '--requests', '2000', '--concurrency', '20'],
        app,
      );
      expect(stdout).toMatch(/PASS/);
    },
    STEP_TIMEOUT,
  );
});
