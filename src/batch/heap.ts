// A batch's memory: V8's heap growth bounded for the length of a long run.
import { setFlagsFromString } from 'node:v8';

/**
 * A batch allocates steadily. With V8's default growing factor (up to 4× the live heap on a large
 * machine) its old space, and so the RSS, grows with the batch although nothing is kept: 194 MB at
 * 100,000 mailboxes against 112 MB at 1,000. 30 % keeps it flat at no measurable CPU cost
 * (BENCHMARKS.md). Set for batches only (at start-up it would cost a one-mailbox check ~15 ms of
 * extra collections), before the users file is read (cli.ts) or when the run turns out to be a
 * batch (runTest), in the CLI's own process only: the Node API never changes its host's V8 flags,
 * and a --heap-growing-percent given to node wins.
 */
export function boundHeapGrowth(): void {
  if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent'))) setFlagsFromString('--heap-growing-percent=30');
}
