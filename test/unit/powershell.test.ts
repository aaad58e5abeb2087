// PowerShell in fixes: values from a token (oid, tid, appid) or a server must not be able to end a
// string literal and add a command of their own. The lines are read back with a tokenizer that
// follows PowerShell's rules for single-quoted strings (any of ' ‘ ’ ‚ ‛ opens and closes one; two
// in a row stand for the second), so the test checks what PowerShell would run, not what it looks like.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/diagnose/index.js';
import * as ps from '../../src/diagnose/powershell.js';
import { CLIENT, OID, TENANT, USER, ctx, goodToken, probe } from './diagnose-fixtures.js';

type Token = { word: string } | { str: string } | { op: string };

const SQ = /['\u2018\u2019\u201a\u201b]/;
const DQ = /["\u201c\u201d\u201e]/;

/** PowerShell's reading of one line (the subset fixes use: words, single-quoted strings, ; and |). */
function psTokens(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (SQ.test(ch)) {
      let s = '';
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`unterminated string in: ${line}`);
        const c = line[i]!;
        if (SQ.test(c)) {
          if (i + 1 < line.length && SQ.test(line[i + 1]!)) {
            s += line[i + 1];
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += c;
        i++;
      }
      out.push({ str: s });
    } else if (DQ.test(ch)) {
      throw new Error(`double-quoted string (expandable: $ and backtick are live) in: ${line}`);
    } else if (ch === ';' || ch === '|') {
      out.push({ op: ch });
      i++;
    } else {
      let w = '';
      while (i < line.length && !/\s/.test(line[i]!) && !SQ.test(line[i]!) && !DQ.test(line[i]!) && line[i] !== ';' && line[i] !== '|') w += line[i++];
      out.push({ word: w });
    }
  }
  return out;
}

const HOSTILE = [
  "o'brien",
  'a\u2019b', // ’
  'a\u2018b', // ‘
  'a\u201ab', // ‚
  'a\u201bb', // ‛
  "'",
  '\u2019\u2019\u2019',
  "x'\u2019\u2018\u201a\u201b'x",
  '\u2019; Remove-Mailbox -Identity boss@contoso.com -Confirm:$false; \u2018',
  "'; Remove-Mailbox x; '",
  '$(Remove-Mailbox x)',
  '`$env:PATH`',
  '"\u201c\u201d\u201e"',
  'two\nlines',
  '',
];

describe('psQuote', () => {
  it.each(HOSTILE.map((s) => [JSON.stringify(s), s]))('reads back as exactly one string argument: %s', (_, s) => {
    expect(psTokens(`Write-Output ${ps.psQuote(s)} -NoEnumerate`)).toEqual([{ word: 'Write-Output' }, { str: s }, { word: '-NoEnumerate' }]);
  });

  it('doubles each of the five single-quote characters and nothing else', () => {
    expect(ps.psQuote("a'\u2018\u2019\u201a\u201bz")).toBe("'a''\u2018\u2018\u2019\u2019\u201a\u201a\u201b\u201bz'");
    expect(ps.psQuote('$x `y` "z"')).toBe(`'$x \`y\` "z"'`);
  });
});

describe('values that must be GUIDs', () => {
  const bad = '66666666-7777-4888-9999-aaaaaaaaaaaa\u2019; Remove-Mailbox -Identity boss@contoso.com -Confirm:$false; \u2018';

  it('are checked before they enter a command: a placeholder and a note instead', () => {
    const v = ps.checkedValues({
      clientId: { value: 'not-a-guid', from: "the token's appid" },
      servicePrincipalId: { value: bad, from: "the token's oid" },
      tenant: { value: "contoso'.com", from: "the token's tid" },
      mailbox: USER,
    });
    expect(v.clientId).toBeUndefined();
    expect(v.servicePrincipalId).toBeUndefined();
    expect(v.tenant).toBeUndefined();
    expect(v.leftOut).toHaveLength(3);
    expect(v.leftOut.join('\n')).toMatch(/The token's oid is not a GUID.*<enterprise-app-object-id>/);
    expect(v.leftOut.join('\n')).toMatch(/The token's appid is not a GUID.*<application-client-id>/);
    expect(v.leftOut.join('\n')).toMatch(/The token's tid is not a tenant GUID or domain name.*<tenant-id>/);
    // The note names the value's source, never the value.
    expect(v.leftOut.join('\n')).not.toContain('Remove-Mailbox');
  });

  it('keep GUIDs and domains as they are', () => {
    const v = ps.checkedValues({ clientId: { value: CLIENT, from: 'a' }, servicePrincipalId: { value: OID, from: 'b' }, tenant: { value: 'contoso.onmicrosoft.com', from: 'c' }, mailbox: USER });
    expect(v).toMatchObject({ clientId: CLIENT, servicePrincipalId: OID, tenant: 'contoso.onmicrosoft.com', leftOut: [] });
  });

  it('are checked by the builders too, whoever calls them', () => {
    const v: ps.PsValues = { clientId: bad, servicePrincipalId: bad, tenant: bad, mailbox: USER };
    expect(psTokens(ps.addMailboxPermission(v))).toEqual([
      { word: 'Add-MailboxPermission' }, { word: '-Identity' }, { str: USER }, { word: '-User' }, { word: '<enterprise-app-object-id>' }, { word: '-AccessRights' }, { word: 'FullAccess' },
    ]);
    expect(psTokens(ps.newServicePrincipal(v))).toEqual([{ word: 'New-ServicePrincipal' }, { word: '-AppId' }, { word: '<application-client-id>' }, { word: '-ServiceId' }, { word: '<enterprise-app-object-id>' }]);
    expect(ps.connectCommand(bad)).toBe('Connect-ExchangeOnline -Organization <tenant-id>');
    expect(ps.connectCommand(bad, 'O365China; Remove-Mailbox x')).toBe('Connect-ExchangeOnline -Organization <tenant-id>');
    expect(ps.getServicePrincipal(v)).toBe('Get-ServicePrincipal | Format-List');
    expect(ps.getMailboxPermission(v)).toBe(`Get-MailboxPermission -Identity '${USER}'`);
    expect(() => ps.getMgServicePrincipalId(bad)).toThrow();
    expect(() => ps.addMailboxPermission({ mailbox: USER, servicePrincipalExpr: '$x; Remove-Mailbox y' })).toThrow();
    expect(ps.addMailboxPermission({ mailbox: USER, servicePrincipalExpr: '$ServiceId' })).toContain('-User $ServiceId ');
  });

  it('a mailbox name with a line break or a control character becomes a placeholder', () => {
    expect(ps.setCasMailboxImap('a@b.c\nRemove-Mailbox x')).toBe('Set-CASMailbox -Identity <mailbox-address> -ImapEnabled $true');
    expect(ps.getCasMailboxImap('a\u202e@b.c')).toBe('Get-CASMailbox -Identity <mailbox-address> | Format-List ImapEnabled');
  });
});

/** The PowerShell lines of a fix: the ones that start with a cmdlet. */
const commandLines = (fix: string) => fix.split('\n').map((l) => l.trim()).filter((l) => /^[A-Z][a-z]+-[A-Za-z]+\b/.test(l));

describe('fixes built from a hostile token', () => {
  const hostileOid = '\u2019; Remove-Mailbox -Identity boss@contoso.com -Confirm:$false; \u2018';
  const hostileTid = "x'; Remove-Mailbox y; '";
  // The signed-in user of a delegated run comes from the token's upn claim, unvalidated.
  const quotedUser = "o'\u2019brien@contoso.com";
  // A tid that is not the tenant asked for is a finding of its own, which keeps the service-principal
  // rule quiet: that case has a hostile oid only.
  const cases = [
    { name: 'rejected login (NO AUTHENTICATE failed)', tid: TENANT, probe: probe('authenticate', { serverStatus: 'NO', serverResponse: 'AUTHENTICATE failed.' }) },
    { name: 'authenticated but not connected', tid: hostileTid, probe: probe('mailbox', { serverStatus: 'BAD', serverResponse: 'User is authenticated but not connected.' }) },
  ];

  it.each(cases)('$name: every command is one statement, its strings are the real values', ({ probe: p, tid }) => {
    const token = goodToken({ oid: hostileOid, tid, appid: CLIENT });
    const ds = diagnose(ctx({ user: quotedUser, token, probe: p }));
    const lines = ds.flatMap((d) => commandLines(d.fix));
    expect(lines.some((l) => l.startsWith('Add-MailboxPermission') || l.startsWith('New-ServicePrincipal'))).toBe(true);
    for (const line of lines) {
      const tokens = psTokens(line);
      expect(tokens.filter((t) => 'op' in t && t.op === ';'), line).toEqual([]);
      for (const t of tokens) if ('str' in t) expect([quotedUser, CLIENT, TENANT], line).toContain(t.str);
      expect(line).not.toContain('Remove-Mailbox');
    }
    const all = ds.map((d) => d.fix).join('\n');
    expect(all).toContain("The token's oid is not a GUID");
    expect(all).toContain('<enterprise-app-object-id>');
  });

  it('a good token still fills every value in', () => {
    const ds = diagnose(ctx({ token: goodToken(), probe: cases[1]!.probe }));
    const fix = ds.map((d) => d.fix).join('\n');
    expect(fix).toContain(`Add-MailboxPermission -Identity '${USER}' -User '${OID}' -AccessRights FullAccess`);
    expect(fix).toContain(`Connect-ExchangeOnline -Organization '${TENANT}'`);
    expect(fix).not.toContain('is not a GUID');
  });

});
