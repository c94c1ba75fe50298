/**
 * The set of distinct user ids, without V8's cliff: a `Set` (and a `Map`) holds at most 2^24 =
 * 16,777,216 entries and throws a `RangeError` on the next `add`.
 *
 * The hot path is one plain `Set`, unchanged: until it holds `SPILL_AT` ids, `add` is a size
 * compare and a `Set.add`. Past that the first Set is frozen (still read, never grown) and new
 * ids go into a tree of Sets chosen by a 32-bit FNV-1a hash of the id, 4 bits per level: a
 * node whose own Set is full gets 16 children, and an id lives in the first non-full Set on
 * its hash path. A lookup past the spill reads at most one Set per level it walks (2 up to
 * 8,388,608 · 17 ≈ 142 million ids, 3 up to about 2.3 billion), so capacity is bounded by
 * memory only.
 *
 * Why 2^23: V8's ordered hash tables double when full, so a Set of exactly 2^23 ids has a full
 * table (the densest state), and the next doubling (to 2^24) is the one that would hit the limit.
 */
const SPILL_AT = 2 ** 23;
const FANOUT_BITS = 4;
const FANOUT = 1 << FANOUT_BITS;
/** A 32-bit hash gives 8 levels of 4 bits: 8,388,608 · (16^8 − 1) / 15 ids, far past any memory. */
const MAX_DEPTH = 32 / FANOUT_BITS;

interface SpillNode {
  readonly ids: Set<string>;
  children: SpillNode[] | undefined;
}

const newNode = (): SpillNode => ({ ids: new Set(), children: undefined });

/** 32-bit FNV-1a over UTF-16 code units (Fowler, Noll, Vo): cheap, and it spreads short ids well. */
function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class UserSet {
  /** The hot path: every id until it holds `SPILL_AT`, then read-only. */
  readonly #first = new Set<string>();
  /** The ids past the first `SPILL_AT`, partitioned by hash; `undefined` until then. */
  #spill: SpillNode | undefined;
  #spilled = 0;
  /**
   * Room left for the hot path: `spillAt` until the first spill, then 0 for good, so an id
   * deleted from the first Set (a rollback) cannot let a spilled id be added there twice.
   */
  #room: number;

  /**
   * @param spillAt ids per Set before it spills; only tests set it (small, to walk every level).
   */
  constructor(readonly spillAt: number = SPILL_AT) {
    this.#room = spillAt;
  }

  get size(): number {
    return this.#first.size + this.#spilled;
  }

  /** Adds `id`; true if it was new. A `Set.add` that throws leaves the set unchanged. */
  add(id: string): boolean {
    const first = this.#first;
    const before = first.size;
    if (before < this.#room) {
      first.add(id);
      return first.size !== before;
    }
    return this.#addSpilled(id);
  }

  has(id: string): boolean {
    if (this.#first.has(id)) return true;
    let node = this.#spill;
    if (node === undefined) return false;
    const hash = hashOf(id);
    for (let depth = 0; ; depth++) {
      if (node.ids.has(id)) return true;
      const child: SpillNode | undefined = node.children?.[(hash >>> (depth * FANOUT_BITS)) & (FANOUT - 1)];
      if (child === undefined) return false;
      node = child;
    }
  }

  /** Removes `id` if present; for rollback only. Deleting allocates nothing, so it cannot throw. */
  delete(id: string): void {
    if (this.#first.delete(id)) return;
    let node = this.#spill;
    if (node === undefined) return;
    const hash = hashOf(id);
    for (let depth = 0; node !== undefined; depth++) {
      if (node.ids.delete(id)) {
        this.#spilled--;
        return;
      }
      node = node.children?.[(hash >>> (depth * FANOUT_BITS)) & (FANOUT - 1)];
    }
  }

  clear(): void {
    this.#first.clear();
    this.#spill = undefined;
    this.#spilled = 0;
    this.#room = this.spillAt;
  }

  /** Every id, each once, in no promised order: a new array (a spread of each Set, no generator). */
  toArray(): string[] {
    const ids = [...this.#first];
    const stack = this.#spill === undefined ? [] : [this.#spill];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      for (const id of node.ids) ids.push(id);
      if (node.children) stack.push(...node.children);
    }
    return ids;
  }

  #addSpilled(id: string): boolean {
    if (this.#first.has(id)) return false;
    this.#spill ??= newNode();
    this.#room = 0;
    let node = this.#spill;
    const hash = hashOf(id);
    for (let depth = 0; ; depth++) {
      if (node.ids.has(id)) return false;
      if (node.children === undefined) {
        if (node.ids.size < this.spillAt) {
          node.ids.add(id);
          this.#spilled++;
          return true;
        }
        if (depth === MAX_DEPTH) throw new RangeError('UserSet: hash levels exhausted');
        // Built whole before it is attached: a failed allocation leaves the tree as it was.
        node.children = Array.from({ length: FANOUT }, newNode);
      }
      node = node.children[(hash >>> (depth * FANOUT_BITS)) & (FANOUT - 1)]!;
    }
  }
}
