// --shard i/n: parsing, determinism, a partition, balance, and few moves when mailboxes or shards are added.
import { describe, expect, it } from 'vitest';
import { planChecks } from '../../src/batch/plan.js';
import { addressKey, inShard, jumpHash, parseShard, shardOf } from '../../src/batch/shard.js';

const users = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `user${from + i}@contoso.com`);

describe('parseShard', () => {
  it('reads i/n, 1-based', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(parseShard(' 4 / 4 ')).toEqual({ index: 4, count: 4 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
  });

  it('refuses 0, i > n, n = 0 and what is not i/n', () => {
    expect(() => parseShard('0/4')).toThrow(/numbered from 1/);
    expect(() => parseShard('5/4')).toThrow(/between 1 and n \(4\)/);
    expect(() => parseShard('1/0')).toThrow(/n must be between 1 and/);
    expect(() => parseShard('1/100000')).toThrow(/n must be between 1 and 10000/);
    for (const bad of ['1', '1/2/3', 'a/b', '-1/2', '1.5/2', '']) expect(() => parseShard(bad), bad).toThrow(/expected i\/n/);
  });
});

describe('shardOf', () => {
  it('is stable: a fixed value for a fixed address (other tools, and later versions, can rely on it)', () => {
    expect(addressKey('someone@contoso.com')).toBe(addressKey('SomeOne@Contoso.COM'));
    // Recorded once: changing the hash would move every mailbox to another CI job.
    expect(addressKey('someone@contoso.com')).toBe(1607582737177833503n);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => shardOf('someone@contoso.com', n))).toEqual([1, 2, 3, 4, 4, 6, 6, 6]);
  });

  it('the shards of n partition the mailboxes: each in exactly one, none lost', () => {
    const all = users(1000);
    const n = 5;
    const slices = Array.from({ length: n }, (_, i) => all.filter((u) => inShard(u, { index: i + 1, count: n })));
    expect(slices.flat().sort()).toEqual([...all].sort());
    expect(new Set(slices.flat()).size).toBe(all.length);
  });

  it('balances: each of 8 shards of 8,000 mailboxes gets about an eighth (within 15 %)', () => {
    const counts = new Array(8).fill(0);
    for (const u of users(8000)) counts[shardOf(u, 8) - 1]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it('adding mailboxes moves none of the others; adding a shard moves only about 1/(n+1)', () => {
    const before = users(4000);
    const where = new Map(before.map((u) => [u, shardOf(u, 4)]));
    for (const u of [...before, ...users(1000, 4000)].slice(0, 4000)) expect(shardOf(u, 4)).toBe(where.get(u));
    const movedUsers = before.filter((u) => shardOf(u, 5) !== where.get(u));
    const moved = movedUsers.length;
    // …and only into the new shard: the other jobs' slices only shrink.
    for (const u of movedUsers) expect(shardOf(u, 5)).toBe(5);
    // Expected 1/5 = 800; modulo hashing would move about 4/5.
    expect(moved).toBeGreaterThan(600);
    expect(moved).toBeLessThan(1000);
  });

  it('jumpHash stays in range', () => {
    for (let k = 0n; k < 200n; k++) for (const n of [1, 2, 3, 10, 97]) expect(jumpHash(k * 0x9e3779b97f4a7c15n, n)).toBeGreaterThanOrEqual(0);
    expect(jumpHash(123n, 1)).toBe(0);
  });
});

describe('planChecks', () => {
  it('users × protocols, cut to the shard, less the finished ones, generated again on demand', () => {
    const all = users(100);
    const done = new Set(['user0@contoso.com\u0000imap']);
    const plan = planChecks(all, ['imap', 'smtp'], { shard: { index: 1, count: 1 }, done });
    expect(plan.total).toBe(199);
    expect(plan.skipped).toBe(1);
    expect(plan.mailboxes).toBe(100);
    const first = [...plan.checks()];
    expect(first).toHaveLength(199);
    expect(first[0]).toEqual({ user: 'user0@contoso.com', protocol: 'smtp' });
    expect([...plan.checks()]).toEqual(first);

    const two = planChecks(all, ['imap'], { shard: { index: 2, count: 3 } });
    expect(two.mailboxes).toBe(all.filter((u) => shardOf(u, 3) === 2).length);
    expect(two.skipped).toBe(0);
  });
});
