// Runs `worker` over `items` with at most `concurrency` in flight. Items are pulled from the
// iterable one at a time as a lane frees up, so a generator can describe a batch of any size
// without materialising it. Results come back through `onResult` as each item finishes.
//
// Abort: once `signal` aborts no new item starts, and every running worker's own signal aborts.
// The pool adds ONE listener to `signal` for the whole run and gives each item a signal of its
// own (dropped when the item ends): a probe that listens on it never piles listeners onto the
// run's signal, so no concurrency triggers Node's MaxListenersExceededWarning.
//
// An error thrown by a worker (or by onResult) stops new starts; the items already running
// finish, then the first error is thrown.
export async function runPool<T, R>(
  items: Iterable<T>,
  concurrency: number,
  worker: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  onResult: (result: R, index: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const running = new Set<AbortController>();
  let next = 0;
  let exhausted = false;
  let failure: { error: unknown } | undefined;
  const onAbort = () => {
    for (const c of running) c.abort(signal?.reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const take = (): { item: T; index: number } | undefined => {
    if (exhausted || failure || signal?.aborted) return undefined;
    const step = iterator.next();
    if (step.done) {
      exhausted = true;
      return undefined;
    }
    return { item: step.value, index: next++ };
  };

  const lane = async () => {
    for (let job = take(); job; job = take()) {
      const own = new AbortController();
      running.add(own);
      try {
        onResult(await worker(job.item, job.index, own.signal), job.index);
      } catch (error) {
        failure ??= { error };
      } finally {
        running.delete(own);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.floor(concurrency)) }, lane));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure.error;
}
