/**
 * `UserSet` against a plain `Set` as the model, with tiny spill sizes so that every level of
 * the hash-partitioned tree is built and walked. (The default spills at 2^23 ids; the capacity
 * bench, `pnpm bench:users`, goes past V8's 2^24-entry limit for real.)
 */

import { fcParams } from '@1mrc/testkit/fc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserSet } from '../src/user-set.js';

type Op =
  | { readonly kind: 'add'; readonly id: string }
  | { readonly kind: 'has'; readonly id: string }
  | { readonly kind: 'delete'; readonly id: string }
  | { readonly kind: 'clear' };

// A pool wide enough to fill several levels at spillAt 1–3, narrow enough to repeat ids often.
const idArb = fc.oneof(
  fc.nat(300).map((i) => `user_${i}`),
  fc.string({ minLength: 0, maxLength: 6 }),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: idArb.map((id) => ({ kind: 'add' as const, id })) },
  { weight: 4, arbitrary: idArb.map((id) => ({ kind: 'has' as const, id })) },
  { weight: 2, arbitrary: idArb.map((id) => ({ kind: 'delete' as const, id })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

describe('UserSet', () => {
  it('behaves like a Set under any sequence of adds, lookups, deletes and clears', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(opArb, { maxLength: 400 }), (spillAt, ops) => {
        const users = new UserSet(spillAt);
        const model = new Set<string>();
        for (const op of ops) {
          if (op.kind === 'add') {
            const fresh = !model.has(op.id);
            model.add(op.id);
            expect(users.add(op.id)).toBe(fresh);
          } else if (op.kind === 'has') {
            expect(users.has(op.id)).toBe(model.has(op.id));
          } else if (op.kind === 'delete') {
            model.delete(op.id);
            users.delete(op.id);
          } else {
            model.clear();
            users.clear();
          }
          expect(users.size).toBe(model.size);
        }
        const values = users.toArray();
        expect(values.length).toBe(model.size);
        expect(new Set(values)).toEqual(model);
      }),
      fcParams(200),
    );
  });

  it('holds many times its spill size, each id once, in a tree several levels deep', () => {
    // spillAt 2: 2 + 16·2 + 256·2 = 546 ids fill two levels; 5,000 need a third and a fourth.
    const users = new UserSet(2);
    for (let i = 0; i < 5000; i++) expect(users.add(`user_${i}`)).toBe(true);
    for (let i = 0; i < 5000; i++) expect(users.add(`user_${i}`)).toBe(false);
    expect(users.size).toBe(5000);
    expect(users.has('user_4999')).toBe(true);
    expect(users.has('user_5000')).toBe(false);
    expect(new Set(users.toArray()).size).toBe(5000);
  });
});
