// The files a monitored run leaves: --prometheus (replaced atomically) and, under GitHub
// Actions, a Markdown table appended to $GITHUB_STEP_SUMMARY.
import type { Config } from '../config/types.js';
import type { FileOptions, Sink } from '../io.js';
import type { RunResult } from '../result.js';
import { renderPrometheus } from './prometheus.js';
import { renderStepSummary } from './step-summary.js';
import { INPUT_MAX_BYTES, readBounded } from '../safe-file.js';

type WriteReport = (io: Sink, path: string, text: string, flag: string, opts?: FileOptions) => void;

export function writeMonitoringFiles(io: Sink, config: Config, run: RunResult, writeReport: WriteReport): void {
  if (config.output.prometheusPath) writeReport(io, config.output.prometheusPath, renderPrometheus(run), '--prometheus', { mode: 0o644 });
  const summary = config.output.stepSummaryPath;
  if (summary) {
    // Appended, never replacing what earlier steps wrote: the old text and the table are written
    // together through the sink (which only writes whole files, atomically).
    let before = '';
    try {
      before = readBounded(summary, { maxBytes: INPUT_MAX_BYTES, waitMs: 2000, noFollow: true }).toString('utf8');
    } catch (err) {
      // Only a missing file starts empty: any other failure must not replace what is there.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    writeReport(io, summary, before + renderStepSummary(run), 'GITHUB_STEP_SUMMARY', { mode: 0o644 });
  }
}
