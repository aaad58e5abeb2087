// The files a monitored run leaves: --prometheus (replaced atomically) and, under GitHub
// Actions, a Markdown table appended to $GITHUB_STEP_SUMMARY.
import type { Config } from '../config/types.js';
import type { FileOptions, Sink } from '../io.js';
import type { RunResult } from '../result.js';
import { renderPrometheus } from './prometheus.js';

type WriteReport = (io: Sink, path: string, text: string, flag: string, opts?: FileOptions) => void;

export function writeMonitoringFiles(io: Sink, config: Config, run: RunResult, writeReport: WriteReport): void {
  if (config.output.prometheusPath) writeReport(io, config.output.prometheusPath, renderPrometheus(run), '--prometheus', { mode: 0o644 });
}
