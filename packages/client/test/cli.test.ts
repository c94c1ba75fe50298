import { afterEach, describe, expect, it } from 'vitest';
import { parseCommand } from '../src/cli.js';
import { cli } from './fixtures/cli.js';
import { type Misbehaviour, serveFixture } from './fixtures/server.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function fixture(misbehave: Misbehaviour = {}): Promise<string> {
  const server = await serveFixture({}, misbehave);
  closers.push(() => server.close());
  return server.url;
}

describe('parseCommand', () => {
  it('defaults to the uws adapter and the challenge numbers', () => {
    expect(parseCommand([])).toMatchObject({ help: false, targets: ['uws'], options: {}, json: false });
  });

  it('takes every flag', () => {
    const command = parseCommand([
      ...['--adapter', 'all', '--requests', '1_000_000', '--concurrency', '1,000', '--pipelining', '4'],
      ...['--users', '10', '--pattern', 'official', '--batch', '100', '--client-threads', '2'],
      ...['--timeout', '5000', '--max-errors', '7', '--engine', 'undici', '--json'],
    ]);
    expect(command).toEqual({
      help: false,
      targets: ['node', 'fastify', 'uws'],
      options: {
        requests: 1_000_000,
        concurrency: 1000,
        pipelining: 4,
        users: 10,
        pattern: 'official',
        batch: 100,
        clientThreads: 2,
        timeoutMs: 5000,
        maxErrors: 7,
        engine: 'undici',
      },
      json: true,
      out: 'results',
    });
  });

  it.each([
    [['--requests', 'lots'], /--requests takes a positive integer, got "lots"/],
    [['--concurrency', '0'], /--concurrency takes a positive integer, got "0"/],
    [['--pattern', 'random'], /--pattern takes one of seed, official, got "random"/],
    [['--engine', 'wrk'], /--engine takes one of raw, undici, got "wrk"/],
    [['--adapter', 'express'], /--adapter takes one of node, fastify, uws, all, got "express"/],
    [['--adapter', 'node', '--url', 'http://127.0.0.1:1'], /either --adapter or --url/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['extra'], /positional/],
  ])('rejects %j', (args, message) => {
    expect(() => parseCommand(args)).toThrow(message);
  });
});

describe('pnpm challenge', () => {
  it('prints help and exits 0', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--client-threads/);
  });

  it('exits 2 on bad usage without sending anything', async () => {
    const { code, stderr } = await cli(['--requests=-5']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--requests takes a positive integer/);
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
