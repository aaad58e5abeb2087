// Runs `worker` over `items` with at most `concurrency` in flight; stops starting new items once
// `signal` aborts. Results come back through `onResult` as each item finishes.
export async function runPool<T, R>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number) => Promise<R>,
  onResult: (result: R, index: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      onResult(await worker(items[index]!, index), index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}
