import { createRedisStore, redisOptionsFromUrl, shardOf, shardTag } from '@1mrc/store-redis';
import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';

describe('createRedisStore options', () => {
  const bad: readonly [string, unknown, RegExp][] = [
    ['neither url nor cluster', {}, /exactly one of url and cluster, got neither/],
    ['both', { url: 'redis://a:1', cluster: [{ host: 'a', port: 1 }] }, /got both/],
    ['a url of another scheme', { url: 'http://a:1' }, /redis:\/\/ or rediss:\/\/ URL, got "http:\/\/a:1"/],
    ['a url that is not one', { url: 'nope' }, /got "nope"/],
    ['an empty cluster', { cluster: [] }, /non-empty array of \{ host, port \}, got \[\]/],
    [
      'a cluster node without port',
      { cluster: [{ host: 'a' }] },
      /cluster\[0\] to be \{ host, port \}, got \{"host":"a"\}/,
    ],
    ['a port past 65535', { cluster: [{ host: 'a', port: 70000 }] }, /at most 65535, got 70000/],
    ['a prefix with a brace', { url: 'redis://a:1', prefix: 'x{' }, /prefix .* got "x\{"/],
    ['an empty prefix', { url: 'redis://a:1', prefix: '' }, /got ""/],
    ['0 shards', { url: 'redis://a:1', shards: 0 }, /shards to be an integer from 1 to 1024, got 0/],
    ['fractional shards', { url: 'redis://a:1', shards: 1.5 }, /got 1.5/],
    [
      'a command timeout of "5"',
      { url: 'redis://a:1', commandTimeoutMs: '5' },
      /commandTimeoutMs .* got "5"/,
    ],
    ['a negative connect timeout', { url: 'redis://a:1', connectTimeoutMs: -1 }, /got -1/],
    ['an unknown option', { url: 'redis://a:1', timeout: 5 }, /Unknown Redis store option "timeout"/],
    ['a password that is not a string', { url: 'redis://a:1', password: 5 }, /password .* got 5/],
  ];
  for (const [name, options, message] of bad) {
    it(`refuses ${name} with a TypeError quoting it`, () => {
      expect(() => createRedisStore(options as never)).toThrow(TypeError);
      expect(() => createRedisStore(options as never)).toThrow(message);
    });
  }
});

describe('STORE', () => {
  it('memory or unset is the in-memory default', () => {
    expect(redisOptionsFromUrl(undefined)).toBeUndefined();
    expect(redisOptionsFromUrl('')).toBeUndefined();
    expect(redisOptionsFromUrl('memory')).toBeUndefined();
  });

  it('redis:// is a standalone server; our parameters are taken out of the URL', () => {
    expect(redisOptionsFromUrl('redis://127.0.0.1:6379')).toEqual({ url: 'redis://127.0.0.1:6379' });
    expect(redisOptionsFromUrl('redis://u:p@h:1/2?prefix=a:&shards=4&commandTimeoutMs=300')).toEqual({
      url: 'redis://u:p@h:1/2',
      prefix: 'a:',
      shards: 4,
      commandTimeoutMs: 300,
    });
  });

  it('redis+cluster:// lists the seed nodes', () => {
    expect(redisOptionsFromUrl('redis+cluster://h1:7000,h2:7001,[::1]:7002?shards=12')).toEqual({
      cluster: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      shards: 12,
    });
  });

  it('refuses anything else, naming it', () => {
    expect(() => redisOptionsFromUrl('postgres://x')).toThrow(/got "postgres:\/\/x"/);
    expect(() => redisOptionsFromUrl('redis://h:1?shard=2')).toThrow(/Unknown STORE parameter "shard"/);
    expect(() => redisOptionsFromUrl('redis://h:1?shards=two')).toThrow(/shards to be an integer, got "two"/);
    expect(() => redisOptionsFromUrl('redis+cluster://h1')).toThrow(/host:port .* got "h1"/);
  });
});

describe('sharding', () => {
  it('puts shard k of N in the k-th of N equal slot ranges', () => {
    for (const n of [1, 3, 6, 16]) {
      for (let k = 0; k < n; k++) {
        const slot = calculateSlot(shardTag(k, n));
        expect(slot).toBeGreaterThanOrEqual(Math.floor((k * 16384) / n));
        expect(slot).toBeLessThan(Math.floor(((k + 1) * 16384) / n));
      }
    }
  });

  it('hashes a user to one stable shard (FNV-1a of the UTF-8 bytes)', () => {
    // FNV-1a-32("a") = 0xe40c292c, of "é" (c3 a9) = 0x1e9de8c1: fixed forever, as every server must agree.
    expect(shardOf('a', 16)).toBe(0xe40c292c % 16);
    expect(shardOf('é', 7)).toBe(0x1e9de8c1 % 7);
    expect(shardOf('anything', 1)).toBe(0);
  });
});
