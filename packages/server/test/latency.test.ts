/**
 * What `onemrc_http_request_duration_seconds` measures, on the contract path every adapter runs:
 * from the start of the event-loop turn that read the request head to the reply, where a reply
 * given in that same turn is timed to the end of the turn (turn-clock.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createStats } from '@1mrc/core';
import type { RequestHead } from '@1mrc/core/http';
import { describe, expect, it } from 'vitest';
import { createServerMetrics, serverContract, serverSetup } from '../src/index.js';

const head: RequestHead = {
  method: 'POST',
  url: '/event',
  contentType: 'application/json',
  contentLength: 29,
};
const body = new TextEncoder().encode('{"userId":"user_1","value":1}');
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const busy = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

async function setup() {
  const metrics = createServerMetrics({ processMetrics: false });
  const contract = serverContract(serverSetup({ store: createStats(), metrics }));
  const latency = async () => {
    const text = await (await metrics.registry()).metrics();
    const series = (suffix: string) =>
      Number(text.match(new RegExp(`^onemrc_http_request_duration_seconds_${suffix} (\\S+)$`, 'm'))?.[1]);
    return {
      count: series('count\\{route="/event"\\}'),
      sum: series('sum\\{route="/event"\\}'),
      under: (le: string) => series(`bucket\\{le="${le.replace('+', '\\+')}",route="/event"\\}`),
    };
  };
  const event = () => {
    const route = contract.route(head);
    if (route.limit === undefined) throw new Error('expected a body route');
    return route;
  };
  return { event, latency };
}

describe('request latency', () => {
  it('times a reply given in the turn that read its head to the end of that turn', async () => {
    const { event, latency } = await setup();
    await nextTurn();
    const reply = event().handle(body);
    expect(reply).toMatchObject({ status: 200 });
    // Work after the reply, in the same turn: other requests of a busy turn, say.
    busy(5);
    await nextTurn();
    const observed = await latency();
    expect(observed.count).toBe(1);
    expect(observed.under('0.0025')).toBe(0);
    expect(observed.sum).toBeGreaterThanOrEqual(0.005);
  });

  it('shares one observation among the replies of a turn, each counted', async () => {
    const { event, latency } = await setup();
    await nextTurn();
    for (let i = 0; i < 3; i++) event().handle(body);
    busy(20);
    await nextTurn();
    for (let i = 0; i < 2; i++) event().handle(body);
    await nextTurn();
    const observed = await latency();
    expect(observed.count).toBe(5);
    expect(observed.under('+Inf')).toBe(5);
    // The first turn's three at 20 ms or more, the second's two well under it.
    expect(observed.under('0.01')).toBe(2);
    expect(observed.under('0.1')).toBe(5);
  });

  it('times a body that arrives in a later turn from the head to the reply, not to the turn end', async () => {
    const { event, latency } = await setup();
    await nextTurn();
    const route = event();
    await sleep(5);
    route.handle(body);
    busy(200);
    await nextTurn();
    const observed = await latency();
    expect(observed.count).toBe(1);
    expect(observed.sum).toBeGreaterThanOrEqual(0.005);
    // The 200 ms of work after the reply is not the request's.
    expect(observed.sum).toBeLessThan(0.2);
  });
});
