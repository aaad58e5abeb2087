// Under GitHub Actions: a Markdown table (mailbox, protocol, result, cause) for the job summary.
import type { RunResult } from '../result.js';
import { printable } from '../printable.js';

// A cell must not end the row ("|") or the line; Markdown escapes for the rest are not needed in a table cell.
const cell = (s: string) => printable(s).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');

export function renderStepSummary(run: RunResult): string {
  const rows = run.results.map((r) => {
    const top = r.diagnosis.find((d) => d.severity === 'error') ?? r.diagnosis[0];
    const cause = r.ok ? '' : `${top ? `${top.summary} (\`${top.id}\`)` : `${r.failedStage} failed`}`;
    return `| ${cell(r.user)} | ${r.protocol ?? 'imap'} | ${r.ok ? '✅ pass' : `❌ fail (exit ${r.exitCode})`} | ${cell(cause)} |`;
  });
  for (const u of run.notRun ?? []) rows.push(`| ${cell(u)} | | ⚠️ not checked (interrupted) | |`);
  const passed = run.results.filter((r) => r.ok).length;
  return ['', '### imap-oauth', '', `${passed} passed, ${run.results.length - passed} failed`, '', '| mailbox | protocol | result | cause |', '|---|---|---|---|', ...rows, ''].join('\n');
}
