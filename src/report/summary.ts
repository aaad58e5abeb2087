// The batch summary: mailbox, result, failed stage, cause, time.
import { Chalk } from 'chalk';
import { printable } from '../printable.js';
import type { RunResult } from '../result.js';

export function renderSummary(run: RunResult, opts: { color: boolean; wallMs: number; interrupted: number }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const byProtocol = new Set(run.results.map((r) => r.protocol ?? 'imap')).size > 1;
  // Cells are escaped before widths are measured (an escape is wider than what it stands for).
  const rows = run.results.map((r) => {
    const top = r.diagnosis.find((d) => d.severity === 'error') ?? r.diagnosis[0];
    const ms = r.stages.reduce((a, s) => a + s.ms, 0);
    const cause = r.ok ? '' : (top?.summary ?? r.stages.find((s) => !s.ok)?.detail ?? '');
    // With several protocols the mailbox cell says which one the row is.
    const user = byProtocol ? `${r.user} (${r.protocol ?? 'imap'})` : r.user;
    return { ok: r.ok, cells: [printable(user), r.ok ? 'PASS' : `FAIL ${r.exitCode}`, r.failedStage ?? '', printable(cause), `${ms} ms`] };
  });
  const head = ['mailbox', 'result', 'stage', 'cause', 'time'];
  const widths = head.map((h, i) => Math.min(i === 3 ? 70 : 60, Math.max(h.length, ...rows.map((r) => r.cells[i]!.length))));
  const cell = (s: string, i: number) => (s.length > widths[i]! ? `${s.slice(0, widths[i]! - 1)}…` : s.padEnd(widths[i]!));
  const line = (r: string[]) => r.map(cell).join('  ').trimEnd();
  const out = [c.bold(line(head))];
  // The result cell is coloured in place: searching the line for "PASS" could hit a mailbox name.
  for (const r of rows) out.push(r.cells.map((s, i) => (i === 1 ? (r.ok ? c.green : c.red)(cell(s, i)) : cell(s, i))).join('  ').trimEnd());
  const passed = run.results.filter((r) => r.ok).length;
  const failed = run.results.length - passed;
  const rate = run.results.length / Math.max(opts.wallMs / 1000, 0.001);
  out.push('', `${passed} passed, ${failed} failed${opts.interrupted ? `, ${opts.interrupted} not checked (interrupted)` : ''} · ${(opts.wallMs / 1000).toFixed(1)} s · ${rate.toFixed(1)} mailboxes/s · ${run.token.requests} token request${run.token.requests === 1 ? '' : 's'}`);
  return `${out.join('\n')}\n`;
}
