// --nagios: Nagios / Icinga plugin output (monitoring-plugins development guidelines): one status
// line "IMAP-OAUTH <STATE> - <summary> | <perfdata>", details after it, exit 0/1/2/3.
import { printable } from '../printable.js';
import { ExitCode } from '../exit-codes.js';
import type { RunResult } from '../result.js';
import { daysLeft, expiryState } from './credential-info.js';
import { groupByCause } from './grouped.js';

export const NAGIOS = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
export type NagiosState = keyof typeof NAGIOS;

export interface NagiosOptions {
  warnDays: number;
  now: Date;
}

/**
 * The state of a finished run. A check that ran and failed — DNS, a timeout, a refused token or
 * login — is CRITICAL: the service is down for this app. Only a run that could not judge
 * (interrupted) is UNKNOWN; usage and internal errors never get here (see nagiosUnknown).
 */
export function nagiosState(run: RunResult, opts: NagiosOptions): NagiosState {
  if (run.exitCode === ExitCode.INTERRUPTED || run.exitCode === ExitCode.TERMINATED) return 'UNKNOWN';
  if (run.results.some((r) => !r.ok)) return 'CRITICAL';
  const expiry = expiryState(run.credential, opts.now, opts.warnDays);
  // --check-app: a secret or certificate of the registration past its end, or within --warn-days.
  const app = run.app?.credentials ?? [];
  if (expiry === 'expired' || app.some((c) => c.state === 'expired')) return 'CRITICAL';
  if (expiry === 'soon' || app.some((c) => c.state === 'expiring')) return 'WARNING';
  return 'OK';
}

// A label may hold anything but "=" and "'" (guidelines); spaces need the quotes, always given.
const label = (s: string) => `'${printable(s).replace(/['=]/g, '_')}'`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(3)}s`;
// The status line is split at "|" by Nagios: none may appear in plugin text.
const plain = (s: string) => printable(s).replace(/\|/g, '/');

/** Perfdata: each stage (per check when there are several), the total, and the credential's days left. */
export function nagiosPerfdata(run: RunResult, opts: NagiosOptions): string {
  const out: string[] = [];
  const many = run.results.length > 1;
  for (const r of run.results) {
    const prefix = many ? `${r.user} ${r.protocol ?? 'imap'} ` : '';
    for (const s of r.stages) out.push(`${label(prefix + s.name)}=${seconds(s.ms)};;;0`);
    if (many) out.push(`${label(`${prefix}total`)}=${seconds(r.stages.reduce((a, s) => a + s.ms, 0))};;;0`);
  }
  const total = run.results.reduce((sum, r) => sum + r.stages.reduce((a, s) => a + s.ms, 0), 0);
  out.push(`${label('total')}=${seconds(total)};;;0`);
  if (many) {
    const passed = run.results.filter((r) => r.ok).length;
    out.push(`${label('passed')}=${passed};;;0;${run.results.length}`, `${label('failed')}=${run.results.length - passed};;;0;${run.results.length}`);
  }
  const days = daysLeft(run.credential, opts.now);
  // Thresholds as ranges: warn outside [warnDays, ∞), critical outside [0, ∞).
  if (days !== undefined) out.push(`${label('credential_days_left')}=${days};${opts.warnDays}:;0:;;`);
  for (const c of run.app?.credentials ?? []) if (c.daysLeft !== undefined) out.push(`${label(`app ${c.kind} ${c.name} days_left`)}=${c.daysLeft};${opts.warnDays}:;0:;;`);
  return out.join(' ');
}

function summary(run: RunResult, state: NagiosState, opts: NagiosOptions): string {
  const failed = run.results.filter((r) => !r.ok);
  const checks = run.results.length + (run.notRun?.length ?? 0);
  const parts: string[] = [];
  if (state === 'UNKNOWN') parts.push(`interrupted: ${run.results.length} of ${checks} checks finished`);
  else if (failed.length === 1 && run.results.length === 1) {
    const r = failed[0]!;
    const top = r.diagnosis.find((d) => d.severity === 'error') ?? r.diagnosis[0];
    parts.push(`${r.user} (${r.protocol ?? 'imap'}): ${r.failedStage} failed${top ? `: ${top.summary}` : ''}`);
  } else if (failed.length) {
    const causes = new Set(failed.map((r) => (r.diagnosis.find((d) => d.severity === 'error') ?? r.diagnosis[0])?.id ?? `${r.failedStage} failed`));
    parts.push(`${failed.length} of ${run.results.length} checks failed (${[...causes].join(', ')})`);
  } else if (run.results.length === 1) {
    const r = run.results[0]!;
    parts.push(`${r.user} (${r.protocol ?? 'imap'}) opened with OAuth 2.0${r.messages !== undefined ? `, ${r.messages} messages` : ''}`);
  } else parts.push(`${run.results.length} checks passed`);
  const days = daysLeft(run.credential, opts.now);
  const expiry = expiryState(run.credential, opts.now, opts.warnDays);
  if (expiry === 'expired') parts.push(`certificate credential EXPIRED on ${run.credential!.notAfter}`);
  else if (expiry === 'soon') parts.push(`certificate credential expires in ${days} days (${run.credential!.notAfter})`);
  const app = run.app;
  const expired = app?.credentials.filter((c) => c.state === 'expired') ?? [];
  const expiring = app?.credentials.filter((c) => c.state === 'expiring') ?? [];
  if (expired.length) parts.push(`app registration: ${expired.map((c) => `${c.kind} ${c.name} EXPIRED on ${c.endDateTime}`).join(', ')}`);
  if (expiring.length) parts.push(`app registration: ${expiring.map((c) => `${c.kind} ${c.name} expires in ${Math.floor(c.daysLeft ?? 0)} days`).join(', ')}`);
  if (app && !app.ok) parts.push(`app registration not read (${app.error?.kind ?? 'failed'})`);
  return parts.join('; ');
}

/** The whole plugin output and the exit code it goes with. */
export function renderNagios(run: RunResult, opts: NagiosOptions): { text: string; code: number } {
  const state = nagiosState(run, opts);
  const lines = [`IMAP-OAUTH ${state} - ${plain(summary(run, state, opts))} | ${nagiosPerfdata(run, opts)}`];
  // Long output: one line per check, then each cause once with its fix (causeLines).
  for (const r of run.results) {
    const top = r.diagnosis.find((d) => d.severity === 'error') ?? r.diagnosis[0];
    lines.push(plain(`${r.ok ? 'PASS' : 'FAIL'} ${r.user} ${r.protocol ?? 'imap'} @ ${r.host}:${r.port}${r.ok ? '' : `: ${r.failedStage} (exit ${r.exitCode})${top ? ` ${top.summary} [${top.id}]` : ''}`}`));
  }
  for (const user of run.notRun ?? []) lines.push(plain(`NOT RUN ${user} (interrupted)`));
  if (run.credential?.notAfter) lines.push(plain(`credential: certificate ${run.credential.subject ?? ''} expires ${run.credential.notAfter}`.replace(/ {2,}/g, ' ')));
  for (const c of run.app?.credentials ?? []) lines.push(plain(`app ${c.kind}: ${c.name}${c.thumbprint ? ` SHA-1 ${c.thumbprint}` : ''} ends ${c.endDateTime ?? '(no end date)'}${c.state === 'ok' ? '' : ` (${c.state})`}`));
  lines.push(...causeLines(run));
  return { text: `${lines.join('\n')}\n`, code: NAGIOS[state] };
}

/**
 * Each distinct cause once, with its fix and the mailboxes it applies to (grouped.ts's grouping:
 * a per-mailbox command becomes one foreach). Advisories of passing checks (a certificate about to
 * expire) count too: they are why a run is WARNING. Nagios reads a "|" anywhere in the long output
 * as the start of performance data, so prose has it replaced and a command holding a pipeline is
 * left out (a mangled command would paste wrong), with a note saying so.
 */
export function causeLines(run: RunResult): string[] {
  // groupByCause looks at failed checks only; a passing check with advisories is offered as one.
  const groups = groupByCause({ ...run, results: run.results.map((r) => (r.ok && r.diagnosis.length ? { ...r, ok: false } : r)) });
  // --check-app findings are about the app registration, not a mailbox.
  for (const d of run.app?.findings ?? []) groups.push({ ...d, mailboxes: [], example: run.results[0]! });
  const out: string[] = [];
  for (const g of groups) {
    const n = g.mailboxes.length;
    out.push('', plain(`${g.severity === 'advisory' ? 'ADVISORY' : 'CAUSE'} [${g.id}] ${g.summary}`));
    if (n) out.push(plain(`  ${n} mailbox${n === 1 ? '' : 'es'}: ${g.mailboxes.join(', ')}`));
    out.push(plain(`  why: ${g.cause.replace(/\s*\n\s*/g, ' ')}`), '  fix:');
    let skipped = 0;
    const fix: string[] = [];
    for (const line of g.fix.split('\n')) {
      if (/^\s/.test(line) && line.includes('|')) skipped++;
      // A loop whose whole body was left out goes too.
      else if (line.trim() === '}' && fix.at(-1)?.trimEnd().endsWith('{')) fix.pop();
      else fix.push(line);
    }
    out.push(...fix.map((line) => plain(`    ${line}`)));
    if (skipped) out.push(`    (${skipped} command${skipped === 1 ? '' : 's'} with a PowerShell pipeline left out: Nagios reads that character as the start of performance data; run without --nagios to see ${skipped === 1 ? 'it' : 'them'})`);
    if (g.docs) out.push(plain(`  docs: ${g.docs}`));
  }
  return out;
}

/** Usage and internal errors: UNKNOWN (exit 3), one line. */
export function nagiosUnknown(message: string): string {
  return `IMAP-OAUTH UNKNOWN - ${plain(message.split('\n')[0] ?? '')}\n`;
}
