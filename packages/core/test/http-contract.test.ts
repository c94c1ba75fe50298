/** The contract's own rules, without a socket: options, failures and onError, RFC 9112 head checks. */
import { createStats, type EventStore, StatsError } from '@1mrc/core';
import { createContract, type Reply, type RequestHead, type Route } from '@1mrc/core/http';
import { describe, expect, it, vi } from 'vitest';

const decoder = new TextDecoder();
const head = (overrides: Partial<RequestHead>): RequestHead => ({
  method: 'GET',
  url: '/health',
  host: '127.0.0.1:8080',
  version: '1.1',
  ...overrides,
});

async function answer(route: Route, body = ''): Promise<Reply> {
  return route.limit === undefined ? route.reply : route.handle(new TextEncoder().encode(body));
}

const failing = (error: unknown): EventStore => ({
  record: () => {
    throw error;
  },
  recordBatch: () => Promise.reject(error),
  snapshot: () => ({ totalRequests: 0, uniqueUsers: 0, sum: 0, avg: 0 }),
  reset: () => undefined,
});

describe('createContract options', () => {
  it('refuses each limit that is not a positive integer, quoting it', () => {
    const store = createStats();
    for (const name of ['maxEventBytes', 'maxBatchBytes', 'maxBatchEvents', 'maxUserIdBytes'] as const) {
      for (const bad of [Number.NaN, 0, -1, 2.5, Number.POSITIVE_INFINITY]) {
        expect(() => createContract({ store, [name]: bad })).toThrow(
          new TypeError(`Expected ${name} to be a positive integer, got ${String(bad)}`),
        );
      }
    }
    expect(() => createContract({ store, onError: 'log' as never })).toThrow(TypeError);
  });
});

describe('failures', () => {
  it('reports a store failure through onError with its route, and answers the 500 that says nothing', async () => {
    const onError = vi.fn();
    const error = new Error('disk on fire at /secret');
    const contract = createContract({ store: failing(error), onError });
    const event = await answer(
      contract.route(head({ method: 'POST', url: '/event' })),
      '{"userId":"a","value":1}',
    );
    const batch = await answer(
      contract.route(head({ method: 'POST', url: '/events' })),
      '[{"userId":"a","value":1}]',
    );
    expect(event).toBe(contract.internalError);
    expect(batch).toBe(contract.internalError);
    expect(onError.mock.calls).toEqual([
      [error, { route: 'POST /event' }],
      [error, { route: 'POST /events' }],
    ]);
  });

  it('writes one stderr line by default', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const contract = createContract({ store: failing(new Error('boom\nsecond line')) });
      await answer(contract.route(head({ method: 'POST', url: '/event' })), '{"userId":"a","value":1}');
      expect(write.mock.calls).toEqual([['@1mrc: POST /event failed: Error: boom second line\n']]);
    } finally {
      write.mockRestore();
    }
  });

  it('by default, a failure repeated in an outage is one line, then one that counts the repeats', async () => {
    vi.useFakeTimers();
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const down = new StatsError({ code: 'UNAVAILABLE', message: 'Redis store: connection lost' });
      const contract = createContract({ store: failing(down) });
      const post = () =>
        answer(contract.route(head({ method: 'POST', url: '/event' })), '{"userId":"a","value":1}');
      for (let i = 0; i < 1000; i++) expect((await post()).status).toBe(503);
      const other = createContract({ store: failing(new Error('disk on fire')) });
      await answer(other.route(head({ method: 'POST', url: '/event' })), '{"userId":"a","value":1}');
      expect(write.mock.calls).toEqual([
        ['@1mrc: POST /event failed: StatsError: Redis store: connection lost\n'],
        ['@1mrc: POST /event failed: Error: disk on fire\n'],
      ]);
      vi.advanceTimersByTime(10_000);
      expect(write.mock.calls.slice(2)).toEqual([
        [
          '@1mrc: POST /event failed: StatsError: Redis store: connection lost (again, 999 times more in 10 s)\n',
        ],
      ]);
      // Past the window, the next failure is written at once again.
      await post();
      expect(write.mock.calls).toHaveLength(4);
    } finally {
      write.mockRestore();
      vi.useRealTimers();
    }
  });

  it('by default, a failure forgotten to make room has its own 10 s when it comes back', async () => {
    vi.useFakeTimers();
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      let message = 'A';
      const contract = createContract({
        store: {
          ...failing(undefined),
          record: () => {
            throw new Error(message);
          },
        },
      });
      const post = () =>
        answer(contract.route(head({ method: 'POST', url: '/event' })), '{"userId":"a","value":1}');
      await post();
      await post();
      vi.advanceTimersByTime(5_000);
      // 100 other failures: A, the oldest, is forgotten, and its repeat written at once.
      for (let i = 0; i < 100; i++) {
        message = `other ${i}`;
        await post();
      }
      expect(write.mock.calls.at(-1)).toEqual(['@1mrc: POST /event failed: Error: other 99\n']);
      expect(write.mock.calls).toContainEqual([
        '@1mrc: POST /event failed: Error: A (again, once more in 10 s)\n',
      ]);
      message = 'A';
      await post();
      await post();
      const written = write.mock.calls.length;
      // When A's first 10 s end, its second window is only half gone: nothing about it yet.
      vi.advanceTimersByTime(5_000);
      expect(write.mock.calls.slice(written).map(([line]) => line)).not.toContainEqual(
        expect.stringContaining('Error: A (again'),
      );
      vi.advanceTimersByTime(5_000);
      expect(write.mock.calls.slice(written)).toContainEqual([
        '@1mrc: POST /event failed: Error: A (again, once more in 10 s)\n',
      ]);
    } finally {
      write.mockRestore();
      vi.useRealTimers();
    }
  });

  it('answers a StatsError with a known engine code with that code’s status, unreported', async () => {
    const onError = vi.fn();
    const error = new StatsError({ code: 'TOO_MANY_USERS', message: 'at most 10 users' });
    const contract = createContract({ store: failing(error), onError });
    const reply = await answer(
      contract.route(head({ method: 'POST', url: '/event' })),
      '{"userId":"a","value":1}',
    );
    expect([reply.status, decoder.decode(reply.body)]).toEqual([
      507,
      '{"error":{"code":"TOO_MANY_USERS","message":"at most 10 users"}}',
    ]);
    expect(onError).not.toHaveBeenCalled();
  });

  it('a failing onError does not turn a 500 into a throw', async () => {
    const contract = createContract({
      store: failing(new Error('x')),
      onError: () => {
        throw new Error('hook');
      },
    });
    const reply = await answer(
      contract.route(head({ method: 'POST', url: '/event' })),
      '{"userId":"a","value":1}',
    );
    expect(reply).toBe(contract.internalError);
  });
});

describe('the head, as RFC 9112 wants it', () => {
  const contract = createContract({ store: createStats() });
  const status = async (overrides: Partial<RequestHead>): Promise<number> =>
    (await answer(contract.route(head(overrides)))).status;

  it('Host: one host[:port], present on HTTP/1.1', async () => {
    for (const host of ['127.0.0.1', 'localhost:8080', '[::1]:8080', 'a.b-c_d~e'])
      expect(await status({ host })).toBe(200);
    for (const host of ['', 'a, b', 'u@a', 'a/b', 'a?b', 'a b', '[::1', 'a:8x', undefined]) {
      expect(await status({ host }), String(host)).toBe(400);
    }
    expect(await status({ host: undefined, version: '1.0' })).toBe(200);
  });

  it('targets: absolute-form routed by its path; a fragment, or * outside OPTIONS, refused', async () => {
    expect(await status({ url: 'http://example.com/health' })).toBe(200);
    expect(await status({ url: 'HTTP://example.com/health?x=1' })).toBe(200);
    expect(await status({ url: 'http://example.com' })).toBe(404);
    for (const url of ['/health#x', '*', 'health', 'example.com:80'])
      expect(await status({ url }), url).toBe(400);
    expect(await status({ method: 'OPTIONS', url: '*' })).toBe(404);
  });

  it('framing: both lengths, a coding other than chunked, chunked on HTTP/1.0, an unreadable length', async () => {
    const post = { method: 'POST', url: '/event' };
    expect(contract.route(head({ ...post, transferEncoding: 'chunked' })).limit).toBe(4096);
    for (const framing of [
      { transferEncoding: 'chunked', contentLength: 5 },
      { transferEncoding: 'gzip, chunked' },
      { transferEncoding: 'chunked', version: '1.0' as const },
      { contentLength: Number.NaN },
    ]) {
      expect(await answer(contract.route(head({ ...post, ...framing })))).toBe(contract.badRequest);
    }
  });

  it('says in the reply when the connection must close', async () => {
    for (const reply of [
      contract.tooLarge,
      contract.badRequest,
      contract.lengthRequired,
      contract.headersTooLarge,
    ]) {
      expect(reply.close).toBe(true);
    }
    expect((await answer(contract.route(head({})))).close).toBeUndefined();
    expect((await answer(contract.route(head({ version: '1.0' })))).close).toBe(true);
    const big = contract.route(head({ method: 'POST', url: '/event', contentLength: 5000 }));
    expect(await answer(big)).toBe(contract.tooLarge);
  });
});
