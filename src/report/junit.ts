// JUnit XML: one testcase per mailbox, the diagnosis in the failure message. Understood by
// GitHub Actions test reporters, GitLab, Jenkins and Azure DevOps.
//
// Whatever a server sends stays well-formed XML 1.0: characters XML forbids (C0 but \t \n \r,
// U+FFFE/U+FFFF, lone surrogates) and those that act on a terminal or reorder text (C1, bidi) are
// shown as \xNN / \uXXXX by printableLines() before the markup is escaped. A mailbox the run did
// not reach (interrupted) is an <error>, so that the file never reads as green when it is not.
import { printable, printableLines } from '../printable.js';
import type { RunResult } from '../result.js';

const markup = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Element text: a newline is kept as it is. */
const text = (s: string) => markup(printableLines(s));
/** Attribute values: a raw newline would be read back as a space (attribute normalisation), so it is a reference. */
const attr = (s: string) => markup(printableLines(s)).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');

export const NOT_RUN_MESSAGE = 'interrupted before this mailbox was checked';

export function renderJunit(run: RunResult): string {
  const failures = run.results.filter((r) => !r.ok).length;
  const notRun = run.notRun ?? [];
  const tests = run.results.length + notRun.length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = run.results.reduce((sum, r) => sum + r.stages.reduce((a, s) => a + s.ms, 0), 0);
  const caseName = (user: string, host: string, port: number) => attr(printable(`${user} @ ${host}:${port}`));
  const cases = run.results.map((r) => {
    const time = seconds(r.stages.reduce((a, s) => a + s.ms, 0));
    const name = caseName(r.user, r.host, r.port);
    // One suite per protocol for CI reporters; IMAP keeps the name it always had.
    const classname = r.protocol && r.protocol !== 'imap' ? `imap-oauth.${r.protocol}` : 'imap-oauth';
    if (r.ok) return `    <testcase classname="${classname}" name="${name}" time="${time}"/>`;
    const stage = r.stages.find((s) => !s.ok);
    const top = r.diagnosis.find((d) => d.severity === 'error') ?? r.diagnosis[0];
    const message = `${r.failedStage} failed (exit ${r.exitCode})${top ? `: ${top.summary}` : stage ? `: ${stage.detail}` : ''}`;
    const body = [
      ...r.stages.map((s) => `${s.ok ? 'ok  ' : 'FAIL'} ${s.name} ${s.ms} ms ${printable(s.detail)}`),
      '',
      ...r.diagnosis.flatMap((d) => [`[${d.id}] ${printable(d.summary)}`, `Why: ${d.cause}`, `Fix: ${d.fix}`, '']),
      ...r.transcript.map((l) => `${l.dir}: ${printable(l.text)}`),
    ].join('\n');
    return `    <testcase classname="${classname}" name="${name}" time="${time}">\n      <failure type="${attr(r.failedStage ?? 'failure')}" message="${attr(printable(message))}">${text(body)}</failure>\n    </testcase>`;
  });
  // Every mailbox of a run is checked against the same host and port: a not-run one keeps the
  // name it has when it runs (CI tools track a test by its name). Before any result, the user alone.
  const target = run.results[0];
  for (const user of notRun) {
    const name = target ? caseName(user, target.host, target.port) : attr(printable(user));
    cases.push(`    <testcase classname="imap-oauth" name="${name}" time="0.000">\n      <error type="interrupted" message="${NOT_RUN_MESSAGE}"/>\n    </testcase>`);
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="imap-oauth" tests="${tests}" failures="${failures}" errors="${notRun.length}" time="${seconds(total)}">`,
    `  <testsuite name="imap-oauth test" tests="${tests}" failures="${failures}" errors="${notRun.length}" skipped="0" time="${seconds(total)}">`,
    ...properties(run),
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** The credential as suite properties (its kind; a certificate's notAfter), for CI dashboards. */
function properties(run: RunResult): string[] {
  const c = run.credential;
  if (!c) return [];
  const props: [string, string][] = [['credential.kind', c.kind]];
  if (c.notAfter) props.push(['credential.notAfter', c.notAfter]);
  // A user's sign-in kept in --token-cache: its refresh token's age (Entra expires one unused for 90 days).
  if (c.signedInAt) props.push(['credential.signedInAt', c.signedInAt]);
  if (c.refreshTokenIssuedAt) props.push(['credential.refreshTokenIssuedAt', c.refreshTokenIssuedAt]);
  if (c.refreshTokenAgeDays !== undefined) props.push(['credential.refreshTokenAgeDays', String(c.refreshTokenAgeDays)]);
  if (c.refreshTokenExpiresAt) props.push(['credential.refreshTokenExpiresAt', c.refreshTokenExpiresAt]);
  return ['    <properties>', ...props.map(([k, v]) => `      <property name="${attr(k)}" value="${attr(v)}"/>`), '    </properties>'];
}
