// The batch summary: mailbox, result, failed stage, cause, time.
import { Chalk } from 'chalk';
import { printable } from '../printable.js';
import { checkLabeller, type RunResult } from '../result.js';

/** `width`: the terminal's columns; the cause, then the mailbox column, shrink to keep every line within it. */
export function renderSummary(run: RunResult, opts: { color: boolean; wallMs: number; interrupted: number; width?: number }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const labelOf = checkLabeller(run.results);
  // Cells are escaped before widths are measured (an escape is wider than what it stands for).
  const rows = run.results.map((r) => {
    const top = r.diagnosis.find((d) => d.severity === 'error') ?? r.diagnosis[0];
    const ms = r.stages.reduce((a, s) => a + s.ms, 0);
    const cause = r.ok ? '' : (top?.summary ?? r.stages.find((s) => !s.ok)?.detail ?? '');
    // With several protocols the mailbox cell says which one the row is.
    const user = labelOf(r);
    return { ok: r.ok, cells: [printable(user), r.ok ? 'PASS' : `FAIL ${r.exitCode}`, r.failedStage ?? '', printable(cause), `${ms} ms`] };
  });
  const head = ['mailbox', 'result', 'stage', 'cause', 'time'];
  const widths = head.map((h, i) => Math.min(i === 3 ? 70 : 60, Math.max(h.length, ...rows.map((r) => r.cells[i]!.length))));
  const over = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1) - (opts.width ?? Infinity);
  for (const [col, min] of [[3, 10], [0, 12], [2, 5]] as const) if (over() > 0) widths[col] = Math.max(min, widths[col]! - over());
  const cell = (s: string, i: number) => (s.length > widths[i]! ? `${s.slice(0, widths[i]! - 1)}…` : s.padEnd(widths[i]!));
  const line = (r: string[]) => r.map(cell).join('  ').trimEnd();
  const out = [c.bold(line(head))];
  // The result cell is coloured in place: searching the line for "PASS" could hit a mailbox name.
  for (const r of rows) out.push(r.cells.map((s, i) => (i === 1 ? (r.ok ? c.green : c.red)(cell(s, i)) : cell(s, i))).join('  ').trimEnd());
  const passed = run.results.filter((r) => r.ok).length;
  const failed = run.results.length - passed;
  const rate = run.results.length / Math.max(opts.wallMs / 1000, 0.001);
  const totals = [`${passed} passed, ${failed} failed${opts.interrupted ? `, ${opts.interrupted} not checked (interrupted)` : ''}`, `${(opts.wallMs / 1000).toFixed(1)} s`, `${rate.toFixed(1)} mailboxes/s`, `${run.token.requests} token request${run.token.requests === 1 ? '' : 's'}`];
  // The totals line breaks at its separators rather than run past the terminal's edge.
  const footer: string[] = [];
  for (const part of totals) {
    const last = footer.length - 1;
    if (last >= 0 && footer[last]!.length + 3 + part.length <= (opts.width ?? Infinity)) footer[last] += ` · ${part}`;
    else footer.push(part);
  }
  out.push('', ...footer);
  return `${out.join('\n')}\n`;
}
