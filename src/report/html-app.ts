// --html with --check-app: the app registration's secrets and certificates, each with its end date
// and days left, and the findings about them (each with its fix) — what the text report's "App
// registration" block says, for the auditor's page. Kept apart from html.ts, which is the page.
import type { AppReport } from '../result.js';

type Escape = (s: unknown) => string;
type FindingBody = (d: { cause: string; fix: string; docs?: string }) => string;

const STATE_BADGE = { ok: '<span class="badge pass">ok</span>', expiring: '<span class="badge warn">expiring</span>', expired: '<span class="badge fail">expired</span>' } as const;

export function appSection(app: AppReport, esc: Escape, findingBody: FindingBody): string {
  const title = `<h2>App registration ${app.displayName ? `“${esc(app.displayName)}” ` : ''}<span class="id">${esc(app.appId)}</span></h2>`;
  const rows = app.credentials.map((cr) => {
    const id = cr.kind === 'secret' ? (cr.hint ? `hint ${esc(cr.hint)}…` : '') : cr.thumbprint ? `SHA-1 ${esc(cr.thumbprint)}` : '';
    const left = cr.daysLeft === undefined ? '' : `${Math.floor(cr.daysLeft)}`;
    return `<tr><td>${esc(cr.kind)}</td><td>${esc(cr.name)}</td><td class="mono">${id}</td><td class="mono">${esc(cr.endDateTime ?? 'no end date')}</td><td class="num">${left}</td><td>${STATE_BADGE[cr.state]}</td></tr>`;
  });
  const table = !app.ok
    ? `<p><span class="badge warn">not read</span> ${esc(app.error?.message ?? 'failed')}</p>`
    : rows.length
      ? ['<table>', '<thead><tr><th>Kind</th><th>Name</th><th>Identifier</th><th>Ends</th><th>Days left</th><th>State</th></tr></thead>', `<tbody>${rows.join('\n')}</tbody>`, '</table>'].join('\n')
      : '<p>No secrets or certificates.</p>';
  const findings = app.findings.map((d) => {
    const badge = d.severity === 'advisory' ? '<span class="badge warn">advisory</span>' : '<span class="badge fail">error</span>';
    return [`<article class="${d.severity === 'advisory' ? 'advisory' : 'fail'}">`, `<h3>${badge} ${esc(d.summary)} <span class="id">[${esc(d.id)}]</span></h3>`, findingBody(d), '</article>'].join('\n');
  });
  return ['<section id="app">', title, table, ...findings, '</section>'].join('\n');
}
