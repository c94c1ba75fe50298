/**
 * Where the state lives. Shard k of N is three keys sharing one hash tag, so a script on them
 * runs on one Cluster node; every key starts with the prefix:
 *
 * - `<prefix>{<tag>}:count`  string, INCRBY: events recorded in the shard
 * - `<prefix>{<tag>}:users`  set: the user ids hashed to the shard (exact, not a HyperLogLog)
 * - `<prefix>{<tag>}:sum`    hash, field i = limb i of the exact sum (see scripts.ts)
 *
 * The tag of shard k is the first `s<k>.<j>` whose Cluster slot lies in the k-th of N equal
 * slot ranges, so shards spread evenly over masters that hold equal slot ranges (what
 * `redis-cli --cluster create` makes). It depends on k and N only: every server agrees.
 */
import calculateSlot from 'cluster-key-slot';

export const SLOTS = 16_384;

export interface ShardKeys {
  readonly count: string;
  readonly users: string;
  readonly sum: string;
}

export function shardTag(shard: number, shards: number): string {
  const low = Math.floor((shard * SLOTS) / shards);
  const high = Math.floor(((shard + 1) * SLOTS) / shards);
  for (let j = 0; ; j++) {
    const tag = `s${shard}.${j}`;
    const slot = calculateSlot(tag);
    if (slot >= low && slot < high) return tag;
  }
}

export function shardKeys(prefix: string, shards: number): ShardKeys[] {
  return Array.from({ length: shards }, (_, k) => {
    const base = `${prefix}{${shardTag(k, shards)}}:`;
    return { count: `${base}count`, users: `${base}users`, sum: `${base}sum` };
  });
}

const encoder = new TextEncoder();

/**
 * The shard a user lives in: FNV-1a (32 bits) of the id's UTF-8 bytes, mod N. Stable across
 * processes, machines and versions, which is what keeps a user in exactly one shard.
 */
export function shardOf(userId: string, shards: number): number {
  if (shards === 1) return 0;
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(userId)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
