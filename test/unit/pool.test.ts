// runPool: the concurrency bound, results by index, abort, errors, lazy input, one listener per run.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Collector, compactResult, keepFor } from '../../src/batch/collect.js';
import { runPool } from '../../src/batch/pool.js';
import type { MailboxResult } from '../../src/result.js';

/** A promise with its resolve handle, to finish workers in a chosen order. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('runPool', () => {
  it('never runs more than `concurrency` workers at once, and runs every item once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await runPool(Array.from({ length: 50 }, (_, i) => i), 7, async (item) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      seen.push(item);
      for (let i = 0; i < item % 4; i++) await tick();
      inFlight--;
      return item;
    }, () => undefined);
    expect(peak).toBe(7);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('reports each result with the index of its item, in the order the items finish', async () => {
    const gates = [deferred(), deferred(), deferred()];
    const got: [string, number][] = [];
    const run = runPool(['a', 'b', 'c'], 3, async (item, index) => {
      await gates[index]!.promise;
      return item.toUpperCase();
    }, (result, index) => got.push([result, index]));
    gates[2]!.resolve();
    await tick();
    gates[0]!.resolve();
    await tick();
    gates[1]!.resolve();
    await run;
    expect(got).toEqual([['C', 2], ['A', 0], ['B', 1]]);
  });

  it('pulls items from an iterable only as lanes free up (a generator is never run ahead)', async () => {
    let pulled = 0;
    function* items() {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield i;
      }
    }
    const gate = deferred();
    const run = runPool(items(), 3, async () => gate.promise, () => undefined);
    await tick();
    expect(pulled).toBe(3);
    gate.resolve();
    await run;
    expect(pulled).toBe(10);
  });

  it('an abort stops new starts and aborts the signal of every running worker', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const abortedWorkers: number[] = [];
    const run = runPool(Array.from({ length: 20 }, (_, i) => i), 4, async (item, _i, signal) => {
      started.push(item);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      abortedWorkers.push(item);
      return item;
    }, () => undefined, controller.signal);
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    controller.abort();
    await run;
    expect(started).toEqual([0, 1, 2, 3]);
    expect(abortedWorkers.sort()).toEqual([0, 1, 2, 3]);
  });

  it('an already aborted signal starts nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    let calls = 0;
    await runPool([1, 2, 3], 2, async () => ++calls, () => undefined, controller.signal);
    expect(calls).toBe(0);
  });

  it('adds one listener to the run signal whatever the concurrency, and removes it at the end', async () => {
    const controller = new AbortController();
    let most = 0;
    await runPool(Array.from({ length: 200 }, (_, i) => i), 64, async (_item, _i, signal) => {
      // A probe listening on its own signal (and forgetting to remove it) does not reach the run's.
      signal.addEventListener('abort', () => undefined);
      most = Math.max(most, getEventListeners(controller.signal, 'abort').length);
      await tick();
      return 0;
    }, () => undefined, controller.signal);
    expect(most).toBe(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('an error in a worker stops new starts, lets the running ones finish, then is thrown', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const slow = deferred();
    const broke = new Error('worker 1 broke');
    const run = runPool(Array.from({ length: 10 }, (_, i) => i), 3, async (item) => {
      started.push(item);
      if (item === 1) throw broke;
      if (item === 0) await slow.promise;
      finished.push(item);
      return item;
    }, () => undefined);
    await tick();
    slow.resolve();
    // The worker's own error object, not a stand-in for it.
    expect(await run.then(() => undefined, (e: unknown) => e)).toBe(broke);
    // Items 0 and 2 ran alongside; nothing new started after the failure.
    expect(started).toEqual([0, 1, 2]);
    expect(finished.sort()).toEqual([0, 2]);
  });

  it("a running worker's signal carries the run's abort reason (SIGINT or SIGTERM reach the probe)", async () => {
    const controller = new AbortController();
    const reasons: unknown[] = [];
    const run = runPool([1, 2], 2, async (_item, _i, signal) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      reasons.push(signal.reason);
      return 0;
    }, () => undefined, controller.signal);
    await tick();
    controller.abort('SIGTERM');
    await run;
    expect(reasons).toEqual(['SIGTERM', 'SIGTERM']);
  });

  it('an abort after a worker has finished leaves that finished worker\'s signal alone', async () => {
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    const hold = deferred();
    const run = runPool([0, 1], 2, async (item, _i, signal) => {
      signals[item] = signal;
      if (item === 1) await hold.promise;
      return item;
    }, () => undefined, controller.signal);
    await tick();
    controller.abort();
    hold.resolve();
    await run;
    expect(signals[0]!.aborted).toBe(false);
    expect(signals[1]!.aborted).toBe(true);
  });

  it('when several workers throw, the first error is the one thrown', async () => {
    const second = deferred();
    const run = runPool([0, 1], 2, async (item) => {
      if (item === 1) {
        await second.promise;
        throw new Error('second');
      }
      await tick();
      second.resolve();
      throw new Error('first');
    }, () => undefined);
    await expect(run).rejects.toThrow('first');
  });

  it('an error in onResult is thrown the same way', async () => {
    await expect(runPool([1, 2, 3], 1, async (x) => x, (r) => {
      if (r === 2) throw new Error('cannot write');
    })).rejects.toThrow('cannot write');
  });

  it('no items: resolves at once, whatever the concurrency', async () => {
    let calls = 0;
    await runPool([], 8, async () => ++calls, () => undefined);
    expect(calls).toBe(0);
  });
});

describe('what a batch keeps (collect.ts)', () => {
  const output = { json: false, jsonl: false, nagios: false, warnDays: 30, githubAnnotations: false, progress: false, verbose: false, color: false, debug: false };
  const result = (user: string, ok: boolean, exitCode = ok ? 0 : 6): MailboxResult => ({
    user, protocol: 'imap', host: 'h', port: 993, ok, exitCode: exitCode as MailboxResult['exitCode'], failedStage: ok ? null : 'authenticate',
    stages: [{ name: 'connect', ok: true, ms: 5, detail: 'TLS' }],
    transcript: Array.from({ length: 20 }, () => ({ dir: 'S' as const, text: 'x'.repeat(200) })),
    diagnosis: [{ id: ok ? 'advice' : 'imap-auth-failed', severity: ok ? 'advisory' : 'error', summary: 's', cause: 'c', fix: 'f' }],
    evidence: { tls: { protocol: 'TLSv1.3', peer: { validTo: '2030-01-01T00:00:00.000Z' } } } as unknown as MailboxResult['evidence'],
  });

  it('--jsonl alone keeps nothing; reports that read every result keep them whole; the rest a compact row', () => {
    expect(keepFor({ ...output, jsonl: true }, true)).toBe('none');
    expect(keepFor({ ...output, jsonl: true, prometheusPath: '/p' }, true)).toBe('compact');
    expect(keepFor({ ...output, jsonl: true, stepSummaryPath: '/s' }, true)).toBe('compact');
    for (const o of [{ json: true }, { jsonl: true, junitPath: '/j' }, { htmlPath: '/h' }, { nagios: true }, { verbose: true }]) expect(keepFor({ ...output, ...o }, true), JSON.stringify(o)).toBe('full');
    expect(keepFor(output, true)).toBe('compact'); // a batch's text report: grouped causes and the table
    expect(keepFor(output, false)).toBe('full'); // one check's text report shows its transcript
  });

  it('a compact row has no transcript, no evidence but the certificate expiry, and a diagnosis only for a failure', () => {
    const ok = compactResult(result('a@x.com', true));
    expect(ok).toMatchObject({ user: 'a@x.com', ok: true, transcript: [], diagnosis: [], stages: [{ name: 'connect' }] });
    expect(ok.evidence).toEqual({ tls: { peer: { validTo: '2030-01-01T00:00:00.000Z' } } });
    const failed = compactResult(result('b@x.com', false));
    expect(failed.diagnosis.map((d) => d.id)).toEqual(['imap-auth-failed']);
    expect(JSON.stringify(failed).length).toBeLessThan(JSON.stringify(result('b@x.com', false)).length / 5);
  });

  it('counts passes and failures, takes the earliest stage exit code, returns kept results in check order', () => {
    const c = new Collector(4, 'compact');
    c.add(2, result('c@x.com', false, 7));
    c.add(0, result('a@x.com', true));
    c.add(3, result('d@x.com', false, 4));
    expect([c.passed, c.failed, c.done, c.worstExit]).toEqual([1, 2, 3, 4]);
    expect(c.results().map((r) => r.user)).toEqual(['a@x.com', 'c@x.com', 'd@x.com']);
    expect([0, 1, 2, 3].map((i) => c.isDone(i))).toEqual([true, false, true, true]);
    const none = new Collector(2, 'none');
    none.add(0, result('a@x.com', false, 6));
    expect(none.results()).toEqual([]);
    expect([none.failed, none.worstExit]).toEqual([1, 6]);
    expect(new Collector(0, 'none').worstExit).toBe(0);
  });
});
