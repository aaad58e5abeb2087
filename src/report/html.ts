// --html: one self-contained page for auditors — a header (when, tool version, tenant and app), a
// summary table, each cause once with its fix (grouped.ts's grouping), then every check's stages
// and redacted transcript. Pure: a result in, a string out; the sink redacts and writes it.
//
// Everything from outside (server replies, claims, Entra's words, names) is hostile: it passes
// printable()/printableLines() first (control characters, bidi controls, U+FFFE and lone
// surrogates shown as \xNN / \uXXXX), then & < > " become references. Attributes are always
// double-quoted, so ' needs none; these are the four the redactor's XML form of a secret escapes,
// so a secret inside the page is still recognised and hidden. The page has no script and loads
// nothing: a Content-Security-Policy forbids every fetch, so even an escaping bug could not.
import { CREDENTIAL_TEXT } from '../config/types.js';
import { printable, printableLines } from '../printable.js';
import { checkLabeller, type MailboxResult, type RunResult } from '../result.js';
import { tokenErrorLine } from '../token/types.js';
import { daysLeft } from './credential-info.js';
import { groupByCause, type CauseGroup } from './grouped.js';
import { appSection } from './html-app.js';
import { HTML_STYLE } from './html-style.js';
import { NOT_RUN_MESSAGE } from './junit.js';

export interface HtmlMeta {
  generatedAt: Date;
  version: string;
  /** From the configuration; the token's tid / appid stand in when absent. */
  tenant?: string;
  clientId?: string;
  /** The run's title (demo: which sandbox and scenario). */
  title?: string;
}

export const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const markup = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** One line of untrusted text, as HTML. */
export const esc = (s: unknown): string => markup(printable(String(s ?? '')));
/** Untrusted text that may span lines (kept for <pre> and pre-line). */
export const escLines = (s: unknown): string => markup(printableLines(String(s ?? '')));

const PROTOCOL_NAME = { imap: 'IMAP', pop: 'POP3', smtp: 'SMTP AUTH' } as const;
const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

interface Check {
  r: MailboxResult;
  /** The mailbox as grouped.ts names it: "user", or "user (protocol)" when several protocols ran. */
  label: string;
  anchor: string;
  groups: { group: CauseGroup; anchor: string }[];
}

export function renderHtml(run: RunResult, meta: HtmlMeta): string {
  const groups = groupByCause(run).map((group, i) => ({ group, anchor: `cause-${i + 1}` }));
  const labelOf = checkLabeller(run.results);
  const checks: Check[] = run.results.map((r, i) => {
    const label = labelOf(r);
    return { r, label, anchor: `check-${i + 1}`, groups: r.ok ? [] : groups.filter((g) => g.group.mailboxes.includes(label)) };
  });
  const failed = run.results.filter((r) => !r.ok).length;
  const notRun = run.notRun ?? [];
  const total = run.results.length + notRun.length;
  const verdict = run.ok ? 'PASS' : 'FAIL';
  const body = [
    header(run, meta, { verdict, failed, total, notRun: notRun.length }),
    summarySection(checks, notRun),
    groups.length ? causesSection(groups, failed) : '',
    run.app ? appSection(run.app, esc, findingBody) : '',
    checksSection(checks),
    `<footer><p>Written by imap-oauth ${esc(meta.version)} at ${esc(meta.generatedAt.toISOString())}. Secrets (the client secret, a private key, tokens, SASL strings) appear as &lt;redacted&gt;. This page runs no script and loads nothing: no fonts, images or other files.</p></footer>`,
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${HTML_CSP}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>imap-oauth report: ${verdict}, ${plural(total, 'check')}${failed ? `, ${failed} failed` : ''}</title>`,
    `<style>${HTML_STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    ...body.filter(Boolean),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function header(run: RunResult, meta: HtmlMeta, n: { verdict: string; failed: number; total: number; notRun: number }): string {
  const claims = run.token.claims;
  const facts: [string, string][] = [
    ['Generated', esc(meta.generatedAt.toISOString())],
    ['Tool', `imap-oauth ${esc(meta.version)}`],
    ['Tenant', esc(meta.tenant ?? claims?.tid ?? '(not known)')],
    ['Client ID', esc(meta.clientId ?? claims?.appid ?? claims?.azp ?? '(not known)')],
    ['Credential', esc(CREDENTIAL_TEXT[run.token.source] ?? run.token.source)],
  ];
  const cred = run.credential;
  if (cred?.notAfter) {
    const days = Math.floor(daysLeft(cred, meta.generatedAt)!);
    const left = days < 0 ? '<span class="badge fail">expired</span>' : `(in ${plural(days, 'day')})`;
    facts.push(['Certificate', `${esc(cred.subject ?? '')} <span class="mono">SHA-1 ${esc(cred.thumbprintSha1 ?? '')}</span>, expires ${esc(cred.notAfter)} ${left}`]);
  }
  // A user's sign-in kept in --token-cache: Entra ends a refresh token left unused for 90 days.
  if (cred?.signedInAt || cred?.refreshTokenIssuedAt) {
    const parts = [
      cred.signedInAt && `signed in ${cred.signedInAt}`,
      cred.refreshTokenAgeDays !== undefined && `refresh token unused for ${cred.refreshTokenAgeDays} days before this run${cred.refreshTokenRenewed ? ', renewed' : ''}`,
      cred.refreshTokenExpiresAt && `expires ${cred.refreshTokenExpiresAt} if unused`,
    ].filter(Boolean);
    facts.push(['Sign-in', esc(parts.join('; '))]);
  }
  const t = run.token;
  const how = [t.requests ? plural(t.requests, 'request') : '', `${t.ms} ms`, t.fromCache ? 'from the token cache' : ''].filter(Boolean).join(', ');
  if (t.ok) facts.push(['Token', `<span class="badge pass">${t.source === 'access-token-file' ? 'read' : 'acquired'}</span> ${esc(how)}${t.expiresAt ? `, expires ${esc(t.expiresAt)}` : ''}`]);
  else {
    const e = t.error;
    const ids = [e?.httpStatus && `HTTP ${e.httpStatus}`, e?.oauthError, e?.correlationId && `Correlation ID ${e.correlationId}`, e?.traceId && `Trace ID ${e.traceId}`, e?.timestamp && `at ${e.timestamp}`].filter(Boolean).join(' · ');
    facts.push(['Token', `<span class="badge fail">failed</span> ${esc(tokenErrorLine(e))} <span class="muted">(${esc(how)}${ids ? ` · ${esc(ids)}` : ''})</span>`]);
  }
  if (claims) {
    // Claims are the token's to choose: a list is joined, anything but a string shown as JSON.
    const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : v === undefined || typeof v === 'string' ? v : JSON.stringify(v));
    const rows: [string, unknown][] = [['aud', list(claims.aud)], [claims.scp ? 'scp' : 'roles', claims.scp ?? (list(claims.roles) || '(none)')], ['app', claims.app_displayname], ['appid', claims.appid ?? claims.azp], ['oid', claims.oid], ['upn', claims.upn]];
    const shown = rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `<span class="muted">${k}</span> <span class="mono">${esc(v)}</span>`);
    facts.push(['Token claims', `${shown.join('<br>')}<br><span class="muted">decoded, not verified; the token itself is never shown</span>`]);
  }
  const verdictText = n.notRun
    ? `${n.verdict} — interrupted: ${n.notRun} of ${n.total} not checked${n.failed ? `, ${n.failed} failed` : ''} (exit ${run.exitCode})`
    : run.ok
      ? `PASS — ${n.total === 1 ? 'the check' : `all ${n.total} checks`} passed`
      : `FAIL — ${n.failed} of ${plural(n.total, 'check')} failed (exit ${run.exitCode})`;
  return [
    '<header class="report">',
    '<h1>imap-oauth report</h1>',
    meta.title ? `<p class="subtitle">${escLines(meta.title)}</p>` : '',
    `<p class="verdict ${run.ok ? 'pass' : 'fail'}">${esc(verdictText)}</p>`,
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`,
    '</header>',
  ].filter(Boolean).join('\n');
}

function topFinding(r: MailboxResult) {
  return r.diagnosis.find((d) => d.severity === 'error') ?? r.diagnosis[0];
}

function resultBadge(r: MailboxResult): string {
  if (r.ok) return r.diagnosis.some((d) => d.severity === 'advisory') ? '<span class="badge pass">PASS</span> <span class="badge warn">advisory</span>' : '<span class="badge pass">PASS</span>';
  return `<span class="badge fail">FAIL (exit ${r.exitCode})</span>`;
}

function summarySection(checks: Check[], notRun: string[]): string {
  const rows = checks.map(({ r, anchor, groups }) => {
    const top = topFinding(r);
    const causeText = r.ok ? (top ? top.summary : '') : (top?.summary ?? r.stages.find((s) => !s.ok)?.detail ?? '');
    const group = top && groups.find((g) => g.group.id === top.id);
    const cause = group ? `<a href="#${group.anchor}">${esc(causeText)}</a>` : esc(causeText);
    const ms = r.stages.reduce((a, s) => a + s.ms, 0);
    return `<tr><td><a href="#${anchor}">${esc(r.user)}</a></td><td class="nowrap">${PROTOCOL_NAME[r.protocol ?? 'imap']}</td><td class="mono">${esc(`${r.host}:${r.port}`)}</td><td>${resultBadge(r)}</td><td>${esc(r.failedStage ?? '')}</td><td>${cause}</td><td class="num">${ms} ms</td></tr>`;
  });
  for (const label of notRun) rows.push(`<tr><td>${esc(label)}</td><td></td><td></td><td><span class="badge notrun">NOT RUN</span></td><td></td><td>${esc(NOT_RUN_MESSAGE)}</td><td></td></tr>`);
  const passed = checks.filter((c) => c.r.ok).length;
  return [
    '<section id="summary">',
    '<h2>Summary</h2>',
    `<p>${passed} passed, ${checks.length - passed} failed${notRun.length ? `, ${notRun.length} not checked (interrupted)` : ''}.</p>`,
    '<table>',
    '<thead><tr><th>Mailbox</th><th>Protocol</th><th>Server</th><th>Result</th><th>Failed stage</th><th>Cause</th><th>Time</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table>',
    '</section>',
  ].join('\n');
}

/**
 * A fix as prose paragraphs and command blocks: indented lines are commands (PowerShell, pasted
 * whole), shown in <pre> without their common indentation.
 */
export function fixHtml(fix: string): string {
  const out: string[] = [];
  const lines = printableLines(fix).split('\n');
  for (let i = 0; i < lines.length; ) {
    if (!/^\s/.test(lines[i]!)) {
      if (lines[i]!.trim()) out.push(`<p>${markup(lines[i]!)}</p>`);
      i++;
      continue;
    }
    const block: string[] = [];
    while (i < lines.length && /^\s/.test(lines[i]!)) block.push(lines[i++]!);
    const indent = Math.min(...block.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length));
    out.push(`<pre class="fix"><code>${markup(block.map((l) => l.slice(indent)).join('\n').replace(/\s+$/, ''))}</code></pre>`);
  }
  return out.join('\n');
}

function findingBody(d: { cause: string; fix: string; docs?: string }): string {
  return [
    `<p><strong>Why:</strong> <span class="pre-line">${escLines(d.cause)}</span></p>`,
    '<h4>Fix</h4>',
    fixHtml(d.fix),
    // A link would be a way out of the page: the address is shown, to be copied.
    d.docs ? `<p class="muted">Docs: <span class="mono">${esc(d.docs)}</span></p>` : '',
  ].filter(Boolean).join('\n');
}

function causesSection(groups: { group: CauseGroup; anchor: string }[], failed: number): string {
  const articles = groups.map(({ group: g, anchor }) => {
    const at = g.example.failedStage ? ` (failed at ${esc(g.example.failedStage)}, exit ${g.example.exitCode})` : '';
    const badge = g.severity === 'advisory' ? '<span class="badge warn">advisory</span>' : '<span class="badge fail">error</span>';
    return [
      `<article class="${g.severity === 'advisory' ? 'advisory' : 'fail'}" id="${anchor}">`,
      `<h3>${badge} ${esc(g.summary)} <span class="id">[${esc(g.id)}]</span></h3>`,
      `<p>${plural(g.mailboxes.length, 'mailbox', 'mailboxes')}${at}:</p>`,
      `<ul class="mailboxes">${g.mailboxes.map((m) => `<li>${esc(m)}</li>`).join('')}</ul>`,
      findingBody(g),
      '</article>',
    ].join('\n');
  });
  return ['<section id="causes">', `<h2>Causes</h2>`, `<p>${plural(groups.length, 'cause')} for ${plural(failed, 'failed check')}; each fix is given once, for every mailbox it applies to.</p>`, ...articles, '</section>'].join('\n');
}

function checksSection(checks: Check[]): string {
  const articles = checks.map(({ r, anchor, groups }) => {
    const where = `${PROTOCOL_NAME[r.protocol ?? 'imap']} @ ${r.host}:${r.port}`;
    const extra = [r.backend && `backend ${r.backend}`, r.messages !== undefined && `${plural(r.messages, 'message')} in the folder`].filter(Boolean).join(' · ');
    const stages = r.stages.map((s) => `<tr><td class="nowrap">${esc(s.name)}</td><td>${s.ok ? '<span class="badge pass">ok</span>' : '<span class="badge fail">failed</span>'}</td><td class="num">${s.ms} ms</td><td>${esc(s.detail)}</td></tr>`);
    const findings = r.diagnosis.map((d) => {
      const group = groups.find((g) => g.group.id === d.id);
      const badge = d.severity === 'advisory' ? '<span class="badge warn">advisory</span>' : '<span class="badge fail">error</span>';
      const head = `${badge} ${esc(d.summary)} <span class="id">[${esc(d.id)}]</span>`;
      // A failure's finding is told once, under Causes; an advisory on a passing check here.
      return group ? `<li>${head} — <a href="#${group.anchor}">cause and fix</a></li>` : `<li>${head}\n${findingBody(d)}</li>`;
    });
    const transcript = r.transcript.map((l) => `<span class="dir ${l.dir === 'C' ? 'c' : 's'}">${l.dir}:</span> ${esc(l.text)}`);
    return [
      `<article class="${r.ok ? 'pass' : 'fail'}" id="${anchor}">`,
      `<h3>${esc(r.user)} <span class="id">${esc(where)}</span> ${resultBadge(r)}</h3>`,
      extra ? `<p class="muted">${esc(extra)}</p>` : '',
      '<h4>Stages</h4>',
      '<table class="stages"><thead><tr><th>Stage</th><th>Result</th><th>Time</th><th>Detail</th></tr></thead>',
      `<tbody>${stages.join('\n')}</tbody></table>`,
      findings.length ? `<h4>Findings</h4>\n<ul class="findings">${findings.join('\n')}</ul>` : '',
      transcript.length ? `<h4>Transcript</h4>\n<pre class="transcript">${transcript.join('\n')}</pre>` : '<p class="muted">No transcript: no mail server conversation was recorded.</p>',
      '</article>',
    ].filter(Boolean).join('\n');
  });
  return ['<section id="checks">', '<h2>Checks</h2>', ...articles, '</section>'].join('\n');
}
