// --shard i/n: the i-th of n deterministic slices of the mailboxes, so that n CI jobs (a matrix)
// split one users file between them with nothing to coordinate. A mailbox's shard depends only
// on its lowercased address and n: adding mailboxes moves none of the others, and the
// jump consistent hash (Lamping and Veach, 2014) moves only about 1/(n+1) of them when a shard
// is added, so the jobs' histories stay comparable.
import { createHash } from 'node:crypto';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export const MAX_SHARDS = 10_000;

/** "2/4" → { index: 2, count: 4 }; 1 ≤ i ≤ n. Throws a short reason for the caller to word. */
export function parseShard(value: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new Error('expected i/n, e.g. 1/4 (the first of four shards)');
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new Error(`n must be between 1 and ${MAX_SHARDS}`);
  if (index < 1 || index > count) throw new Error(`i must be between 1 and n (${count}): shards are numbered from 1`);
  return { index, count };
}

const MASK64 = (1n << 64n) - 1n;

/** Jump consistent hash: a 64-bit key → a bucket in [0, buckets). */
export function jumpHash(key: bigint, buckets: number): number {
  let b = -1;
  let j = 0;
  let k = key & MASK64;
  while (j < buckets) {
    b = j;
    k = (k * 2862933555777941757n + 1n) & MASK64;
    j = Math.floor((b + 1) * (2 ** 31 / (Number(k >> 33n) + 1)));
  }
  return b;
}

/** The first 8 bytes of SHA-256 of the lowercased address (UTF-8), as the key. */
export function addressKey(address: string): bigint {
  return createHash('sha256').update(address.toLowerCase(), 'utf8').digest().readBigUInt64BE(0);
}

/** The 1-based shard a mailbox belongs to among `count`. */
export function shardOf(address: string, count: number): number {
  return jumpHash(addressKey(address), count) + 1;
}

export function inShard(address: string, shard: Shard): boolean {
  return shard.count === 1 || shardOf(address, shard.count) === shard.index;
}
