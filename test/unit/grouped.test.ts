// Batch failures grouped by cause: one fix per cause, a PowerShell loop where the fix is per mailbox.
import { describe, expect, it } from 'vitest';
import { psQuote } from '../../src/diagnose/powershell.js';
import { groupByCause, renderGroups } from '../../src/report/grouped.js';
import { renderSummary } from '../../src/report/summary.js';
import { failed, finding, passed, run } from '../support/run-fixture.js';

const perMailbox = (user: string) => finding('imap-auth-rejected-service-principal', `In Exchange Online PowerShell:\n  Connect-ExchangeOnline\n  Add-MailboxPermission -Identity ${psQuote(user)} -User 'sp' -AccessRights FullAccess\n  Get-MailboxPermission -Identity ${psQuote(user)} -User 'sp'`);

describe('grouped by cause', () => {
  const users = Array.from({ length: 30 }, (_, i) => `u${i}@contoso.com`);
  it('30 mailboxes with one per-mailbox cause: one group, the mailbox lines as one foreach over all of them', () => {
    const groups = groupByCause(run(users.map((u) => failed(u, [perMailbox(u)]))));
    expect(groups).toHaveLength(1);
    expect(groups[0]!.mailboxes).toEqual(users);
    const fix = groups[0]!.fix;
    expect(fix).toContain(`  foreach ($m in @(${users.map(psQuote).join(', ')})) {\n    Add-MailboxPermission -Identity $m -User 'sp' -AccessRights FullAccess\n    Get-MailboxPermission -Identity $m -User 'sp'\n  }`);
    expect(fix.match(/Connect-ExchangeOnline/g)).toHaveLength(1);
    const text = renderGroups(run(users.map((u) => failed(u, [perMailbox(u)]))), { color: false, width: 80 });
    expect(text.match(/Fix: /g)).toHaveLength(1);
  });
  it("a mailbox with a quote is quoted by psQuote in the loop (o'brien → 'o''brien')", () => {
    const us = ["o'brien@contoso.com", 'b@contoso.com'];
    const fix = groupByCause(run(us.map((u) => failed(u, [perMailbox(u)]))))[0]!.fix;
    expect(fix).toContain("@('o''brien@contoso.com', 'b@contoso.com')");
  });
  it('several causes: one group each, in order of first appearance; passes are left out; one mailbox keeps its plain fix', () => {
    const groups = groupByCause(run([failed('a@x.com', [finding('c1')]), passed('p@x.com'), failed('b@x.com', [finding('c2')]), failed('c@x.com', [finding('c1')]), failed('d@x.com', [perMailbox('d@x.com')])]));
    expect(groups.map((g) => [g.id, g.mailboxes])).toEqual([['c1', ['a@x.com', 'c@x.com']], ['c2', ['b@x.com']], ['imap-auth-rejected-service-principal', ['d@x.com']]]);
    expect(groups[2]!.fix).toContain("-Identity 'd@x.com'");
    expect(groups[2]!.fix).not.toContain('foreach');
  });
  it('prose is wrapped to the width; the summary table stays within it', () => {
    const long = { ...finding('c1'), cause: 'word '.repeat(60), summary: 'A cause with a long summary '.repeat(3) };
    const r = run(users.map((u) => failed(u, [long])));
    for (const width of [60, 80]) {
      const text = renderGroups(r, { color: false, width }) + renderSummary(r, { color: false, wallMs: 1000, interrupted: 0, width });
      for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
    }
  });
});
