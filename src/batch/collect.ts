// What a run keeps of its results. The --jsonl lines (and annotations) are written as each check
// finishes; what stays in memory is only what the end-of-run reports need:
//   full     every result as it is (transcripts too): --json, --junit, --html, --nagios, --verbose text,
//            and a single check's text report
//   compact  one small row per check (no transcript, no evidence but a TLS certificate's expiry,
//            the diagnosis of failures only): a batch's text report (grouped causes and the
//            summary table), --prometheus, the GitHub step summary
//   none     counters only: --jsonl without any of the above. Memory is then bounded by
//            --concurrency (the checks in flight), not by the number of mailboxes.
import type { ProbeEvidence } from '../imap/types.js';
import type { OutputOptions } from '../config/types.js';
import { ExitCode } from '../exit-codes.js';
import type { MailboxResult } from '../result.js';

export type Keep = 'full' | 'compact' | 'none';

export function keepFor(output: OutputOptions, batch: boolean): Keep {
  if (output.json || output.junitPath || output.htmlPath || output.nagios) return 'full';
  const files = !!(output.prometheusPath || output.stepSummaryPath);
  if (output.jsonl) return files ? 'compact' : 'none';
  return batch && !output.verbose ? 'compact' : 'full';
}

/** The fields the compact reports read (see the list above). */
export function compactResult(r: MailboxResult): MailboxResult {
  const validTo = r.evidence?.tls?.peer?.validTo ?? r.evidence?.tlsFailure?.peer?.validTo;
  return {
    user: r.user,
    ...(r.protocol ? { protocol: r.protocol } : {}),
    host: r.host,
    port: r.port,
    ok: r.ok,
    exitCode: r.exitCode,
    failedStage: r.failedStage,
    stages: r.stages,
    transcript: [],
    diagnosis: r.ok ? [] : r.diagnosis,
    ...(r.backend !== undefined ? { backend: r.backend } : {}),
    ...(r.messages !== undefined ? { messages: r.messages } : {}),
    ...(validTo ? { evidence: { tls: { peer: { validTo } } } as unknown as ProbeEvidence } : {}),
  };
}

export class Collector {
  passed = 0;
  failed = 0;
  /** The earliest failing stage's exit code among failures (runExitCode's rule), 0 when none. */
  worstExit: ExitCode = ExitCode.OK;
  private readonly finished: Uint8Array;
  private readonly kept: (MailboxResult | undefined)[] | undefined;

  constructor(
    readonly total: number,
    readonly keep: Keep,
  ) {
    this.finished = new Uint8Array(total);
    this.kept = keep === 'none' ? undefined : new Array<MailboxResult | undefined>(total);
  }

  add(index: number, r: MailboxResult): void {
    this.finished[index] = 1;
    if (r.ok) this.passed++;
    else {
      this.failed++;
      this.worstExit = this.failed === 1 ? r.exitCode : (Math.min(this.worstExit, r.exitCode) as ExitCode);
    }
    if (this.kept) this.kept[index] = this.keep === 'compact' ? compactResult(r) : r;
  }

  get done(): number {
    return this.passed + this.failed;
  }

  isDone(index: number): boolean {
    return this.finished[index] === 1;
  }

  /** The kept results in the order of the checks (none for 'none'). */
  results(): MailboxResult[] {
    return (this.kept ?? []).filter((r): r is MailboxResult => !!r);
  }
}
