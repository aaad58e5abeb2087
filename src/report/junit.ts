// JUnit XML: one testcase per mailbox, the diagnosis in the failure message. Understood by
// GitHub Actions test reporters, GitLab, Jenkins and Azure DevOps.
import type { RunResult } from '../result.js';

const xml = (s: string) =>
  s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderJunit(run: RunResult): string {
  const failures = run.results.filter((r) => !r.ok).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = run.results.reduce((sum, r) => sum + r.stages.reduce((a, s) => a + s.ms, 0), 0);
  const cases = run.results.map((r) => {
    const time = seconds(r.stages.reduce((a, s) => a + s.ms, 0));
    const name = `${r.user} @ ${r.host}:${r.port}`;
    if (r.ok) return `    <testcase classname="imap-oauth" name="${xml(name)}" time="${time}"/>`;
    const stage = r.stages.find((s) => !s.ok);
    const top = r.diagnosis.find((d) => d.severity === 'error') ?? r.diagnosis[0];
    const message = `${r.failedStage} failed (exit ${r.exitCode})${top ? `: ${top.summary}` : stage ? `: ${stage.detail}` : ''}`;
    const body = [
      ...r.stages.map((s) => `${s.ok ? 'ok  ' : 'FAIL'} ${s.name} ${s.ms} ms ${s.detail}`),
      '',
      ...r.diagnosis.flatMap((d) => [`[${d.id}] ${d.summary}`, `Why: ${d.cause}`, `Fix: ${d.fix}`, '']),
      ...r.transcript.map((l) => `${l.dir}: ${l.text}`),
    ].join('\n');
    return `    <testcase classname="imap-oauth" name="${xml(name)}" time="${time}">\n      <failure type="${xml(r.failedStage ?? 'failure')}" message="${xml(message)}">${xml(body)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="imap-oauth" tests="${run.results.length}" failures="${failures}" time="${seconds(total)}">`,
    `  <testsuite name="imap-oauth test" tests="${run.results.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(total)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
