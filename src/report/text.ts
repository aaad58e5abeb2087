// The human report: stages with ticks and times, the token summary, the transcript, and on failure
// what failed, why, and the fix. Colour only when the caller says the terminal takes it.
// Every value from outside (claims, server text, Entra's words, names) goes through p()/lines()
// where it enters the text, before any colour is added: see printable.ts.
import { Chalk, type ChalkInstance } from 'chalk';
import { CREDENTIAL_TEXT } from '../config/types.js';
import type { Diagnosis } from '../diagnose/index.js';
import { printable as p, printableLines as lines } from '../printable.js';
import { daysLeft } from './credential-info.js';
import { renderGroups } from './grouped.js';
import type { MailboxResult, RunResult } from '../result.js';
import { tokenErrorLine, type TokenReport } from '../token/types.js';

export interface TextOptions {
  color: boolean;
  verbose: boolean;
  /** Extra lines for --verbose (where settings came from, TLS details …). */
  notes?: string[];
  title?: string;
  /** Several mailboxes: failures grouped by cause (each mailbox's details with --verbose); the summary table follows. */
  batch?: boolean;
  /** Terminal columns for wrapped prose (80 when unknown). */
  width?: number;
}

const LINE_LIMIT = 160;

function indent(text: string, prefix: string): string {
  return text.split('\n').map((l) => prefix + l).join('\n');
}

function tokenSection(t: TokenReport, c: ChalkInstance, verbose: boolean): string[] {
  const out: string[] = [];
  const how = `${CREDENTIAL_TEXT[t.source]}${t.requests ? `, ${t.requests} request${t.requests > 1 ? 's' : ''}` : ''}, ${t.ms} ms`;
  out.push(c.bold('Token') + c.dim(`  (${how})`));
  if (!t.ok) {
    const e = t.error!;
    out.push(`  ${c.red('✖')} ${p(tokenErrorLine(e))}`);
    const ids = [e.httpStatus && `HTTP ${e.httpStatus}`, e.oauthError, e.correlationId && `Correlation ID ${e.correlationId}`, e.traceId && `Trace ID ${e.traceId}`, e.timestamp && `at ${e.timestamp}`].filter(Boolean);
    if (ids.length) out.push(c.dim(`    ${p(ids.join(' · '))}`));
    return out;
  }
  if (!t.claims) {
    // An opaque token (Gmail's, --auth-mode generic): nothing to decode; the server judges it.
    out.push(`  ${c.green('✔')} ${t.source === 'access-token-file' ? 'read' : 'acquired'}; opaque (not a JWT): only the server can tell what it grants (the token itself is never shown)`);
    if (t.expiresAt) out.push(`    ${c.dim('expires'.padEnd(8))} ${p(t.expiresAt)}`);
    return out;
  }
  const claims = t.claims;
  const rows: [string, string | undefined][] = [
    ['aud', Array.isArray(claims.aud) ? claims.aud.join(', ') : claims.aud],
    [claims.scp ? 'scp' : 'roles', claims.scp ?? (claims.roles?.length ? claims.roles.join(', ') : '(none)')],
    ['tid', claims.tid],
    [claims.appid ? 'appid' : 'azp', claims.appid ?? claims.azp],
    ['app', claims.app_displayname],
    ['oid', claims.oid],
    ['expires', t.expiresAt],
  ];
  if (verbose) rows.push(['iss', claims.iss], ['ver', claims.ver], ['appidacr', claims.appidacr]);
  out.push(`  ${c.green('✔')} acquired; claims (decoded, not verified; the token itself is never shown):`);
  for (const [k, val] of rows) if (val) out.push(`    ${c.dim(k.padEnd(8))} ${p(String(val))}`);
  return out;
}

function stagesSection(r: MailboxResult, c: ChalkInstance): string[] {
  const width = Math.max(...r.stages.map((s) => s.name.length));
  return r.stages.map((s) => {
    const mark = s.ok ? c.green('✔') : c.red('✖');
    const ms = `${s.ms} ms`.padStart(8);
    const detail = p(s.detail);
    return `  ${mark} ${s.name.padEnd(width)} ${c.dim(ms)}  ${s.ok ? detail : c.red(detail)}`;
  });
}

function transcriptSection(r: MailboxResult, c: ChalkInstance, verbose: boolean): string[] {
  if (!r.transcript.length) return [];
  const out = [c.bold('  Transcript')];
  for (const line of r.transcript) {
    // Already escaped as it was recorded (transcript.ts); p() again for a tab and for anything else.
    let text = p(line.text);
    if (!verbose && text.length > LINE_LIMIT) text = `${text.slice(0, LINE_LIMIT - 1)}…`;
    out.push(`    ${line.dir === 'C' ? c.cyan('C:') : c.magenta('S:')} ${text}`);
  }
  return out;
}

function diagnosisSection(list: Diagnosis[], c: ChalkInstance): string[] {
  if (!list.length) return [];
  const out = [c.bold('  Diagnosis')];
  for (const d of list) {
    const mark = d.severity === 'advisory' ? c.yellow('!') : c.red('✖');
    out.push(`  ${mark} ${c.bold(p(d.summary))}${c.dim(`  [${d.id}]`)}`);
    out.push(indent(`Why: ${lines(d.cause)}`, '      '));
    out.push(indent(`Fix: ${lines(d.fix)}`, '      '));
    if (d.docs) out.push(c.dim(`      Docs: ${p(d.docs)}`));
  }
  return out;
}

export function renderText(run: RunResult, opts: TextOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const out: string[] = [];
  if (opts.title) out.push(c.bold(lines(opts.title)), '');
  if (opts.verbose && opts.notes?.length) out.push(...opts.notes.map((n) => c.dim(lines(n))), '');
  out.push(...tokenSection(run.token, c, opts.verbose), ...credentialLine(run, c), '', ...appSection(run, c));
  // A batch names each cause once with its fix and its mailboxes, not once per mailbox.
  const grouped = opts.batch && !opts.verbose;
  const detailed = grouped ? [] : run.results;
  if (grouped) out.push(renderGroups(run, { color: opts.color, width: opts.width ?? 80 }));
  for (const r of detailed) {
    const protocol = r.protocol ? ` ${PROTOCOL_NAME[r.protocol]}` : '';
    out.push(c.bold(p(r.user)) + c.dim(p(`${protocol} @ ${r.host}:${r.port}${r.backend ? ` (backend ${r.backend})` : ''}`)));
    out.push(...stagesSection(r, c));
    const tr = transcriptSection(r, c, opts.verbose);
    if (tr.length) out.push('', ...tr);
    const dg = diagnosisSection(r.diagnosis, c);
    if (dg.length) out.push('', ...dg);
    out.push('');
  }
  for (const r of opts.batch ? [] : run.results) {
    out.push(
      r.ok
        ? `${c.green.bold('PASS')}  ${p(r.user)} can be opened over IMAP with OAuth 2.0 (XOAUTH2)${r.messages !== undefined ? `: ${r.messages} message${r.messages === 1 ? '' : 's'} in the folder` : ''}`
        : `${c.red.bold('FAIL')}  ${p(r.user)}: failed at ${r.failedStage} (exit ${r.exitCode})${headline(r)}`,
    );
  }
  return `${out.join('\n')}\n`;
}

function headline(r: MailboxResult): string {
  const first = r.diagnosis.find((d) => d.severity === 'error') ?? r.diagnosis[0];
  return first ? ` — ${p(first.summary)}` : '';
}

const PROTOCOL_NAME = { imap: 'IMAP', pop: 'POP3', smtp: 'SMTP AUTH' } as const;

/** The certificate credential's end: the date every later run depends on. */
function credentialLine(run: RunResult, c: ChalkInstance): string[] {
  const notAfter = run.credential?.notAfter;
  if (!notAfter) return signInLine(run, c);
  const days = Math.floor(daysLeft(run.credential, new Date())!);
  const left = days < 0 ? c.red('expired') : `in ${days} day${days === 1 ? '' : 's'}`;
  return [`  ${c.dim('certificate credential expires'.padEnd(8))} ${p(notAfter)} (${left})`];
}

/** A user's sign-in kept in --token-cache: when, and how long its refresh token had gone unused (90 days end it). */
function signInLine(run: RunResult, c: ChalkInstance): string[] {
  const cr = run.credential;
  if (!cr?.signedInAt && !cr?.refreshTokenIssuedAt) return [];
  const parts: string[] = [];
  if (cr.signedInAt) parts.push(`signed in ${p(cr.signedInAt)}`);
  if (cr.refreshTokenAgeDays !== undefined) parts.push(`refresh token unused for ${cr.refreshTokenAgeDays} days before this run${cr.refreshTokenRenewed ? ', renewed' : ''}`);
  if (cr.refreshTokenExpiresAt) parts.push(`expires ${p(cr.refreshTokenExpiresAt)} if unused`);
  return [`  ${c.dim('sign-in')}  ${parts.join('; ')}`];
}

/** --check-app: the app registration's secrets and certificates with their ends, then the findings about them. */
function appSection(run: RunResult, c: ChalkInstance): string[] {
  const app = run.app;
  if (!app) return [];
  const out = [c.bold(`App registration ${app.displayName ? `"${p(app.displayName)}" ` : ''}(${p(app.appId)})`)];
  if (!app.ok) out.push(`  ${c.yellow('not read')}: ${p(app.error?.message ?? 'failed')}`);
  else if (!app.credentials.length) out.push('  no secrets or certificates');
  for (const cr of app.credentials) {
    const left = cr.daysLeft === undefined ? '' : cr.state === 'expired' ? ` (${c.red('expired')})` : ` (in ${Math.floor(cr.daysLeft)} day${Math.floor(cr.daysLeft) === 1 ? '' : 's'})`;
    const id = cr.kind === 'secret' ? (cr.hint ? `  hint ${p(cr.hint)}…` : '') : cr.thumbprint ? `  SHA-1 ${cr.thumbprint}` : '';
    out.push(`  ${cr.kind.padEnd(11)} ${p(cr.name)}${id}  ${cr.endDateTime ? `ends ${cr.endDateTime}` : 'no end date'}${left}`);
  }
  const findings = diagnosisSection(app.findings, c);
  return [...out, ...(findings.length ? ['', ...findings] : []), ''];
}
