// --rate: parsing, and the token bucket on a fake clock (burst, steady rate, order, abort).
import { describe, expect, it } from 'vitest';
import { parseRate, TokenBucket, type Clock } from '../../src/batch/rate.js';

/** Time moves only when the test says; sleepers wake in time order. */
function fakeClock() {
  let now = 0;
  const sleepers: { at: number; wake: () => void }[] = [];
  const clock: Clock & { advance(ms: number): Promise<void>; sleeping(): number } = {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const entry = { at: now + ms, wake: resolve };
        sleepers.push(entry);
        signal?.addEventListener('abort', () => {
          sleepers.splice(sleepers.indexOf(entry), 1);
          resolve();
        }, { once: true });
      });
    },
    async advance(ms) {
      const until = now + ms;
      for (;;) {
        sleepers.sort((a, b) => a.at - b.at);
        const next = sleepers[0];
        if (!next || next.at > until) break;
        sleepers.shift();
        now = next.at;
        next.wake();
        await new Promise<void>((r) => setImmediate(r));
      }
      now = until;
    },
    sleeping: () => sleepers.length,
  };
  return clock;
}

/** Starts `n` takers at once; records the clock time at which each got its token. */
function takers(bucket: TokenBucket, clock: Clock, n: number, signal?: AbortSignal) {
  const times: (number | null)[] = new Array(n).fill(undefined);
  const all = Promise.all(Array.from({ length: n }, (_, i) => bucket.take(signal).then((ok) => (times[i] = ok ? clock.now() : null))));
  return { times, all };
}

describe('parseRate', () => {
  it('reads per second and per minute, with the burst one second is worth (at least 1)', () => {
    expect(parseRate('10/s')).toEqual({ perSecond: 10, burst: 10, text: '10/s' });
    expect(parseRate('600/m')).toEqual({ perSecond: 10, burst: 10, text: '600/m' });
    expect(parseRate('30/min')).toMatchObject({ perSecond: 0.5, burst: 1, text: '30/m' });
    expect(parseRate(' 2.5 / S ')).toMatchObject({ perSecond: 2.5, burst: 2 });
  });

  it('refuses what is not a rate, with the expected form in the reason', () => {
    for (const bad of ['10', '10/h', 'ten/s', '-1/s', '/s', '1e3/s', '']) expect(() => parseRate(bad), bad).toThrow(/10\/s or 600\/m/);
    expect(() => parseRate('0/s')).toThrow(/more than 0/);
    expect(() => parseRate('20000/s')).toThrow(/at most/);
  });
});

describe('TokenBucket', () => {
  it('a full bucket lets the burst through at once, then one start per 1/rate', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ perSecond: 4, burst: 4 }, clock);
    const { times, all } = takers(bucket, clock, 10, undefined);
    await clock.advance(0);
    expect(times.slice(0, 4)).toEqual([0, 0, 0, 0]);
    await clock.advance(2000);
    await all;
    expect(times).toEqual([0, 0, 0, 0, 250, 500, 750, 1000, 1250, 1500]);
  });

  it('holds a steady rate however many lanes wait, served in the order they came', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ perSecond: 0.5, burst: 1 }, clock);
    const { times, all } = takers(bucket, clock, 5);
    await clock.advance(0);
    await clock.advance(10_000);
    await all;
    expect(times).toEqual([0, 2000, 4000, 6000, 8000]);
  });

  it('refills while idle, but never beyond the burst', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ perSecond: 10, burst: 2 }, clock);
    await clock.advance(60_000); // a long quiet spell: still only 2 at once
    const { times, all } = takers(bucket, clock, 4);
    await clock.advance(0);
    await clock.advance(1000);
    await all;
    expect(times).toEqual([60_000, 60_000, 60_100, 60_200]);
  });

  it('an abort while waiting resolves false at once and gives the reserved token back', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ perSecond: 1, burst: 1 }, clock);
    expect(await bucket.take()).toBe(true);
    const controller = new AbortController();
    const waiting = takers(bucket, clock, 3, controller.signal);
    await clock.advance(500);
    expect(clock.sleeping()).toBe(3);
    controller.abort();
    await waiting.all;
    expect(waiting.times).toEqual([null, null, null]);
    expect(clock.sleeping()).toBe(0);
    // The three reservations were returned: the next taker waits only for the refill of one.
    const later = takers(bucket, clock, 1);
    await clock.advance(0);
    await clock.advance(1000);
    await later.all;
    expect(later.times).toEqual([1000]);
  });

  it('an already aborted signal takes nothing', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ perSecond: 1, burst: 1 }, clock);
    const controller = new AbortController();
    controller.abort();
    expect(await bucket.take(controller.signal)).toBe(false);
    expect(await bucket.take()).toBe(true); // the token is still there
  });
});
