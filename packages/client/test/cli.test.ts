import { describe, expect, it } from 'vitest';
import { duration, parseCommand } from '../src/cli.js';
import { cli } from './fixtures/cli.js';
import { fixtureServers } from './fixtures/server.js';

const fixture = fixtureServers().url;

describe('parseCommand', () => {
  it('needs a target', () => {
    expect(() => parseCommand([])).toThrow(/give --url or --command/);
  });

  it('takes every flag', () => {
    const command = parseCommand([
      ...['--command', 'node a.js', '--name', 'a', '--command', 'node b.js', '--name', 'b'],
      ...['--port', 'output', '--env', 'WORKERS=2', '--env', 'STORE=redis://x:1/0', '--expect-final'],
      ...[
        '--start-timeout',
        '5000',
        '--requests',
        '1_000_000',
        '--concurrency',
        '1,000',
        '--pipelining',
        '4',
      ],
      ...['--users', '10', '--pattern', 'hard', '--batch', '100', '--client-threads', '2'],
      ...['--timeout', '5000', '--max-errors', '7', '--engine', 'undici', '--json', '--out', 'o'],
    ]);
    expect(command).toEqual({
      help: false,
      targets: [
        { command: 'node a.js', name: 'a' },
        { command: 'node b.js', name: 'b' },
      ],
      options: {
        port: 'output',
        env: { WORKERS: '2', STORE: 'redis://x:1/0' },
        expectFinal: true,
        startTimeoutMs: 5000,
        requests: 1_000_000,
        concurrency: 1000,
        pipelining: 4,
        users: 10,
        pattern: 'hard',
        batch: 100,
        clientThreads: 2,
        timeoutMs: 5000,
        maxErrors: 7,
        engine: 'undici',
      },
      json: true,
      out: 'o',
    });
  });

  it('takes several urls, and a rate with a duration', () => {
    expect(
      parseCommand(['--url', 'http://a:1,http://b:2', '--rate', '2,500', '--duration', '1.5m']),
    ).toMatchObject({
      targets: [{ url: 'http://a:1,http://b:2' }],
      options: { rate: 2500, durationMs: 90_000 },
    });
    expect(duration('500ms')).toBe(500);
    expect(duration('10')).toBe(10_000);
  });

  it.each([
    [['--url', 'http://x:1', '--requests', 'lots'], /--requests takes a positive number, got "lots"/],
    [['--url', 'http://x:1', '--concurrency', '0'], /--concurrency takes a positive number, got "0"/],
    [['--url', 'http://x:1', '--users', '1.5'], /--users takes a positive integer, got "1.5"/],
    [
      ['--url', 'http://x:1', '--pattern', 'random'],
      /--pattern takes one of seed, official, hard, got "random"/,
    ],
    [['--url', 'http://x:1', '--engine', 'wrk'], /--engine takes one of raw, undici, got "wrk"/],
    [['--url', 'http://x:1', '--command', 'x'], /either --url or --command/],
    [['--url', 'http://x:1', '--env', 'A=1'], /--env applies to --command/],
    [['--command', 'x', '--env', 'A'], /--env takes KEY=VALUE, got "A"/],
    [['--command', 'x', '--port', 'high'], /--port takes auto, output or a port number, got "high"/],
    [['--command', 'x', '--command', 'y', '--name', 'a'], /one --name per --command: 2 commands, 1 names/],
    [['--url', 'http://x:1', '--duration', '5s'], /--duration needs --rate/],
    [['--url', 'http://x:1', '--rate', '5', '--duration', 'soon'], /--duration takes a time like 10s/],
    [
      ['--url', 'http://x:1', '--rate', '5', '--duration', '5s', '--requests', '9'],
      /either --requests or --duration/,
    ],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['extra'], /positional/],
  ])('rejects %j', (args, message) => {
    expect(() => parseCommand(args)).toThrow(message);
  });
});

describe('1mrc-challenge', () => {
  it('prints help and exits 0', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--client-threads/);
  });

  it('exits 2 on bad usage without sending anything', async () => {
    const { code, stderr } = await cli(['--url', 'http://127.0.0.1:1', '--requests=-5']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--requests takes a positive number/);
  });

  it('exits 0 with a JSON report when the server is right', async () => {
    const { code, stdout } = await cli([
      '--url',
      await fixture(),
      '--requests',
      '5000',
      '--concurrency',
      '50',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, succeeded: 5000, validation: { fresh: true } });
  });

  it('exits 1 and names the field when the server is wrong', async () => {
    const { code, stdout } = await cli([
      '--url',
      await fixture({ lie: 'avg' }),
      '--requests',
      '5000',
      '--concurrency',
      '50',
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAIL/);
    expect(stdout).toMatch(/✗ avg +expected 499\.5, got 499\.50000000000006/);
  });
});
