// Waits for a flooded stream to drain or close, removing both listeners afterwards (a flood waits
// thousands of times: left-over listeners would trip MaxListenersExceededWarning).
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** True when `stream` drained, false when it closed (or errored) first. */
export async function drainedOrClosed(stream: Writable): Promise<boolean> {
  const ac = new AbortController();
  try {
    return await Promise.race([once(stream, 'drain', { signal: ac.signal }).then(() => true), once(stream, 'close', { signal: ac.signal }).then(() => false)]);
  } catch {
    return false;
  } finally {
    ac.abort();
  }
}
