// --nagios: states, exit codes and perfdata syntax per the monitoring-plugins guidelines.
import { describe, expect, it } from 'vitest';
import { nagiosPerfdata, nagiosState, renderNagios } from '../../src/report/nagios.js';
import { failed, finding, NOW, passed, run } from '../support/run-fixture.js';

const opts = { warnDays: 30, now: NOW };
// 'label'=value[UOM];[warn];[crit];[min];[max] — UOM one of s ms us % B KB MB TB c or none.
const PERF = /^'[^'=]+'=-?\d+(\.\d+)?(s|ms|us|%|B|KB|MB|TB|c)?;[^;\s]*;[^;\s]*;[^;\s]*;?[^;\s]*$/;

describe('nagios state', () => {
  it('OK when every check passed and the certificate has more than --warn-days left', () => {
    const out = renderNagios(run([passed('a@contoso.com')], 90), opts);
    expect(out.code).toBe(0);
    expect(out.text.split('\n')[0]).toMatch(/^IMAP-OAUTH OK - a@contoso\.com \(imap\) opened with OAuth 2\.0, 3 messages \| /);
  });
  it('WARNING within --warn-days, CRITICAL once expired, with the date in the summary', () => {
    expect(renderNagios(run([passed('a@contoso.com')], 5), opts)).toMatchObject({ code: 1 });
    expect(renderNagios(run([passed('a@contoso.com')], 5), opts).text).toMatch(/^IMAP-OAUTH WARNING - .*certificate credential expires in 5 days \(2026-06-06T/);
    expect(renderNagios(run([passed('a@contoso.com')], 30), opts).code).toBe(1); // within: 30 days left of 30
    expect(renderNagios(run([passed('a@contoso.com')], 31), opts).code).toBe(0);
    expect(renderNagios(run([passed('a@contoso.com')], 5), { ...opts, warnDays: 3 }).code).toBe(0);
    const expired = renderNagios(run([passed('a@contoso.com')], -1), opts);
    expect(expired.code).toBe(2);
    expect(expired.text).toMatch(/^IMAP-OAUTH CRITICAL - .*certificate credential EXPIRED on 2026-05-31T/);
  });
  it('a client secret (no visible end date) never warns', () => {
    expect(nagiosState(run([passed('a@contoso.com')]), opts)).toBe('OK');
  });
  it('CRITICAL for a failed check, connection failures (DNS, timeouts) included; the cause in the status line', () => {
    const auth = renderNagios(run([failed('a@contoso.com', [finding('imap-auth-rejected')])], 90), opts);
    expect(auth.code).toBe(2);
    expect(auth.text).toMatch(/^IMAP-OAUTH CRITICAL - a@contoso\.com \(imap\): authenticate failed: Summary of imap-auth-rejected \| /);
    const dns = renderNagios(run([failed('a@contoso.com', [finding('dns-not-found')], 'connect')]), opts);
    expect(dns.code).toBe(2);
  });
  it('a batch: counts and the causes in the summary, one detail line per check', () => {
    const r = run([passed('a@x.com'), failed('b@x.com', [finding('c1')]), failed('c@x.com', [finding('c1')])]);
    const out = renderNagios(r, opts);
    const lines = out.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^IMAP-OAUTH CRITICAL - 2 of 3 checks failed \(c1\) \| /);
    expect(lines.slice(1, 4)).toEqual([expect.stringMatching(/^PASS a@x\.com imap/), expect.stringMatching(/^FAIL b@x\.com imap .*\[c1\]$/), expect.stringMatching(/^FAIL c@x\.com/)]);
  });
  it('UNKNOWN (3) when interrupted', () => {
    const r = { ...run([passed('a@x.com')]), exitCode: 130 as const, ok: false, notRun: ['b@x.com'] };
    const out = renderNagios(r, opts);
    expect(out.code).toBe(3);
    expect(out.text).toMatch(/^IMAP-OAUTH UNKNOWN - interrupted: 1 of 2 checks finished/);
  });
  it('the status line has exactly one "|": a pipe in server text cannot start the perfdata early', () => {
    const out = renderNagios(run([failed('a@contoso.com', [{ ...finding('x'), summary: 'bad | worse' }])]), opts);
    expect(out.text.split('\n')[0]!.split('|')).toHaveLength(2);
    expect(out.text).not.toContain('bad | worse');
  });
});

describe('nagios perfdata', () => {
  it('one value per stage in seconds with min 0, the total, and the days left with range thresholds', () => {
    const perf = nagiosPerfdata(run([passed('a@contoso.com')], 12.5), opts);
    expect(perf).toBe("'token'=0.212s;;;0 'connect'=0.061s;;;0 'authenticate'=0.095s;;;0 'total'=0.368s;;;0 'credential_days_left'=12.5;30:;0:;;");
    for (const item of perf.split(' ')) expect(item).toMatch(PERF);
  });
  it('a batch: labels per check, totals and pass/fail counts; quotes and = in names cannot break a label', () => {
    const perf = nagiosPerfdata(run([passed("o'brien=x@contoso.com"), failed('b@contoso.com', [finding('c')])]), opts);
    const items = perf.match(/'[^']*'=[^ ]*/g)!;
    for (const item of items) expect(item).toMatch(PERF);
    expect(perf).toContain("'o_brien_x@contoso.com imap token'=0.212s;;;0");
    expect(perf).toContain("'passed'=1;;;0;2 'failed'=1;;;0;2");
  });
});

describe('nagios long output: each cause once, with its fix', () => {
  const perMailbox = (user: string) => ({
    ...finding('mailbox-no-fullaccess'),
    summary: `The app has no FullAccess on ${user}`,
    cause: `Exchange found no permission for the service principal on ${user}.`,
    fix: `Run in Exchange Online PowerShell:\n  Add-MailboxPermission -Identity '${user}' -User 'sp' -AccessRights FullAccess\nThen check:\n  Get-MailboxPermission -Identity '${user}' | Format-List`,
    docs: 'https://learn.microsoft.com/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth',
  });

  it('30 mailboxes with one cause: the status line as before, the cause and a foreach over all 30 once', () => {
    const users = Array.from({ length: 30 }, (_, i) => `user${i + 1}@contoso.com`);
    const out = renderNagios(run(users.map((u) => failed(u, [perMailbox(u)]))), opts);
    const lines = out.text.trimEnd().split('\n');
    expect(out.code).toBe(2);
    expect(lines[0]).toMatch(/^IMAP-OAUTH CRITICAL - 30 of 30 checks failed \(mailbox-no-fullaccess\) \| 'user1@contoso\.com imap token'=/);
    expect(lines.slice(1, 31).every((l) => l.startsWith('FAIL '))).toBe(true);
    expect(out.text.match(/\[mailbox-no-fullaccess\] /g)).toHaveLength(1);
    expect(out.text).toContain(`  30 mailboxes: ${users.join(', ')}`);
    expect(out.text).toContain(`      foreach ($m in @(${users.map((u) => `'${u}'`).join(', ')})) {\n        Add-MailboxPermission -Identity $m -User 'sp' -AccessRights FullAccess\n      }\n    Then check:\n    (1 command`);
    expect(out.text.match(/Add-MailboxPermission/g)).toHaveLength(1);
    expect(out.text).toContain('  docs: https://learn.microsoft.com/');
  });

  it('no "|" after the status line: a command with a pipeline is left out with a note, prose has it replaced', () => {
    const r = run([failed('a@contoso.com', [{ ...perMailbox('a@contoso.com'), cause: 'server said NO | BAD' }])]);
    const [status, ...rest] = renderNagios(r, opts).text.split('\n');
    expect(status!.split('|')).toHaveLength(2);
    expect(rest.join('\n')).not.toContain('|');
    expect(rest).toContain("      Add-MailboxPermission -Identity 'a@contoso.com' -User 'sp' -AccessRights FullAccess");
    expect(rest).toContainEqual(expect.stringMatching(/^ {4}\(1 command with a PowerShell pipeline left out: .*run without --nagios to see it\)$/));
    expect(rest).toContain('  why: server said NO / BAD');
  });

  it('several causes: each once with the mailboxes it applies to', () => {
    const r = run([failed('a@x.com', [finding('c1')]), failed('b@x.com', [finding('c2')]), failed('c@x.com', [finding('c1')])]);
    const text = renderNagios(r, opts).text;
    expect(text).toContain('CAUSE [c1] Summary of c1\n  2 mailboxes: a@x.com, c@x.com\n  why: Cause of c1\n  fix:\n    Fix for c1');
    expect(text).toContain('CAUSE [c2] Summary of c2\n  1 mailbox: b@x.com');
  });

  it('an advisory of a passing check (why the state is WARNING) is shown with its fix', () => {
    const ok = { ...passed('a@contoso.com'), diagnosis: [{ ...finding('credential-certificate-expiring'), severity: 'advisory' as const }] };
    const out = renderNagios(run([ok], 5), opts);
    expect(out.code).toBe(1);
    expect(out.text).toContain('ADVISORY [credential-certificate-expiring] Summary of credential-certificate-expiring\n  1 mailbox: a@contoso.com');
    expect(out.text).toContain('    Fix for credential-certificate-expiring');
  });

  it('a passing run without findings has no cause section', () => {
    expect(renderNagios(run([passed('a@contoso.com')], 90), opts).text).not.toMatch(/CAUSE|ADVISORY/);
  });
});
