/**
 * Model-based test of the stats engine: random command sequences (record, recordBatch with or
 * without a bad event, merge of another shard, reset, snapshot) run against the real engine
 * and a model that is just the list of accepted events; snapshots must match the BigInt
 * reference of that list.
 *
 * A failure prints `{ seed, path }` and the shrunk command list; replay with
 * `FC_SEED=<seed> FC_PATH=<path> pnpm vitest run packages/core/test/stats-model.test.ts`.
 */

import { fcParams } from '@1mrc/testkit/fc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatsError } from '../src/errors.js';
import { createStats, type Stats } from '../src/stats.js';
import type { Event } from '../src/types.js';
import { badEventArb, eventArb, expectSameSnapshot, referenceSnapshot } from './stats-arbitraries.js';

interface Model {
  events: Event[];
}

type StatsCommand = fc.Command<Model, Stats>;

const show = (value: unknown): string => (Object.is(value, -0) ? '-0' : String(value));
const showEvent = (e: { userId: unknown; value: unknown }): string =>
  `${JSON.stringify(e.userId)}:${show(e.value)}`;

class Record implements StatsCommand {
  constructor(readonly event: Event) {}
  check = (): boolean => true;
  run(model: Model, real: Stats): void {
    real.record(this.event.userId, this.event.value);
    model.events.push(this.event);
  }
  toString = (): string => `record(${showEvent(this.event)})`;
}

class RecordInvalid implements StatsCommand {
  constructor(readonly event: { userId: unknown; value: unknown }) {}
  check = (): boolean => true;
  run(_model: Model, real: Stats): void {
    expect(() => real.record(this.event.userId as string, this.event.value as number)).toThrow(StatsError);
  }
  toString = (): string => `record!(${showEvent(this.event)})`;
}

class RecordBatch implements StatsCommand {
  constructor(
    readonly events: Event[],
    readonly bad?: { index: number; event: { userId: unknown; value: unknown } },
  ) {}
  check = (): boolean => true;
  run(model: Model, real: Stats): void {
    if (this.bad === undefined) {
      real.recordBatch(this.events);
      model.events.push(...this.events);
      return;
    }
    const { index, event } = this.bad;
    const batch = [...this.events.slice(0, index), event, ...this.events.slice(index)] as Event[];
    expect(() => real.recordBatch(batch)).toThrow(expect.objectContaining({ index }));
  }
  toString = (): string =>
    `recordBatch([${this.events.map(showEvent)}]${this.bad ? `, bad ${showEvent(this.bad.event)} at ${this.bad.index}` : ''})`;
}

/** Another shard's state, carried as a worker would (structuredClone), merged in. */
class MergeShard implements StatsCommand {
  constructor(readonly events: Event[]) {}
  check = (): boolean => true;
  run(model: Model, real: Stats): void {
    const shard = createStats();
    shard.recordBatch(this.events);
    real.mergeState(structuredClone(shard.exportState()));
    model.events.push(...this.events);
  }
  toString = (): string => `merge([${this.events.map(showEvent)}])`;
}

class Reset implements StatsCommand {
  check = (): boolean => true;
  run(model: Model, real: Stats): void {
    real.reset();
    model.events = [];
  }
  toString = (): string => 'reset()';
}

class Snapshot implements StatsCommand {
  check = (): boolean => true;
  run(model: Model, real: Stats): void {
    expectSameSnapshot(real.snapshot(), referenceSnapshot(model.events));
  }
  toString = (): string => 'snapshot()';
}

const batchArb = fc.array(eventArb, { maxLength: 8 });

const commandsArb = fc.commands(
  [
    eventArb.map((e): StatsCommand => new Record(e)),
    badEventArb.map((e): StatsCommand => new RecordInvalid(e)),
    batchArb.map((events): StatsCommand => new RecordBatch(events)),
    batchArb
      .chain((events) => fc.tuple(fc.constant(events), fc.nat(events.length), badEventArb))
      .map(([events, index, event]): StatsCommand => new RecordBatch(events, { index, event })),
    batchArb.map((events): StatsCommand => new MergeShard(events)),
    fc.constant<StatsCommand>(new Reset()),
    fc.constant<StatsCommand>(new Snapshot()),
  ],
  { maxCommands: 40 },
);

describe('createStats (model-based)', () => {
  it('behaves like the list of accepted events under any command sequence', () => {
    fc.assert(
      fc.property(commandsArb, (commands) => {
        const model: Model = { events: [] };
        const real = createStats();
        fc.modelRun(() => ({ model, real }), commands);
        expectSameSnapshot(real.snapshot(), referenceSnapshot(model.events));
      }),
      fcParams(200),
    );
  });
});
