// `explain`: codes and messages, and whole pasted logs (MailKit, JavaMail, imapsync, curl, Python
// imaplib, an Entra JSON body, MSAL stack traces): every piece of evidence found, SASL strings
// decoded, the best three findings ranked by how specific the evidence is.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/diagnose/index.js';
import { exampleContext } from '../../src/diagnose/examples.js';
import { extractEvidence } from '../../src/diagnose/evidence.js';
import { explain } from '../../src/diagnose/explain.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/pasted-logs/${name}`, import.meta.url), 'utf8');
const ids = (query: string) => explain(query).matches.map((m) => m.id);

describe('explain', () => {
  it.each(RULES.map((r) => [r.id, r] as const))('%s has an example that makes it fire', (_id, rule) => {
    const ctx = exampleContext(rule);
    expect(ctx).toBeDefined();
    expect(rule.applies(ctx!)).toBe(true);
    const d = rule.diagnose(ctx!);
    for (const text of [d.summary, d.cause, d.fix]) {
      expect(text).toBeTruthy();
      expect(text).not.toMatch(/undefined|NaN|\[object Object\]/);
    }
  });

  it.each([
    ['AADSTS7000215', 'aadsts-invalid-secret'],
    ['7000222', 'aadsts-secret-expired'],
    ['aadsts90002', 'aadsts-tenant-not-found'],
    ["AADSTS700016: Application with identifier '…' was not found in the directory", 'aadsts-app-not-found'],
    ['AADSTS70011', 'aadsts-scope-not-default'],
    ['User is authenticated but not connected', 'imap-authenticated-not-connected'],
    ['A01 NO AUTHENTICATE failed.', 'imap-auth-rejected-service-principal'],
    ['imap-no-mechanism', 'imap-no-mechanism'],
    ['ENOTFOUND', 'imap-dns'],
    ['ECONNREFUSED', 'imap-refused'],
    ['IMAP.AccessAsApp', 'token-missing-imap-role'],
    ['AADSTS530035', 'aadsts-security-defaults'],
    ['AADSTS53005: Application needs to enforce Intune protection policies.', 'aadsts-device-not-compliant'],
  ])('%s → %s first', (query, id) => {
    expect(explain(query).matches[0]?.id).toBe(id);
  });

  it('an AADSTS code of the table carries its docs link', () => {
    expect(explain('AADSTS53003').matches[0]?.docs).toBe('https://login.microsoftonline.com/error?code=53003');
  });

  it('an unknown AADSTS code alone matches nothing but is named', () => {
    expect(explain('AADSTS12345')).toMatchObject({ matches: [], unknownAadsts: 12345 });
  });

  it('an unknown AADSTS code does not block the text search: its words still match', () => {
    const r = explain('AADSTS99999: then the server said: User is authenticated but not connected');
    expect(r.unknownAadsts).toBe(99999);
    expect(r.matches.map((m) => m.id)).toContain('imap-authenticated-not-connected');
  });

  it('unrelated text matches nothing; at most three matches', () => {
    expect(explain('banana').matches).toEqual([]);
    expect(explain('AUTHENTICATE').matches.length).toBeLessThanOrEqual(3);
  });
});

describe('precise matching', () => {
  it('"XOAUTH2" in a pasted AUTHENTICATE line or capability list is not "server does not offer XOAUTH2"', () => {
    expect(ids('C: A1 AUTHENTICATE XOAUTH2 dXNlcj1h\nS: A1 NO AUTHENTICATE failed.')).not.toContain('imap-no-mechanism');
    expect(ids('S: * CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR')).not.toContain('imap-no-mechanism');
    expect(ids('SMTP: 250-AUTH LOGIN XOAUTH2')).not.toContain('imap-no-mechanism');
  });

  it('a capability list without AUTH=XOAUTH2 is', () => {
    expect(ids('S: * CAPABILITY IMAP4rev1 AUTH=PLAIN LOGINDISABLED\nS: A0 OK CAPABILITY completed.')[0]).toBe('imap-no-mechanism');
  });

  it('"BAD" is a status word, not a word in a sentence', () => {
    expect(ids('-ERR Authentication failure: unknown user name or bad password.')).not.toContain('imap-authenticate-bad');
    expect(ids('-ERR Authentication failure: unknown user name or bad password.')).not.toContain('imap-auth-rejected');
    expect(ids('A1 BAD Command Argument Error. 12')).toContain('imap-authenticate-bad');
  });
});

describe('pasted logs: the first finding', () => {
  it.each([
    ['MailKit protocol log, a delegated token for a shared mailbox', 'mailkit-shared-mailbox.txt', 'delegated-other-mailbox', /alice@contoso\.com.*shared\.inbox@contoso\.com/],
    ['JavaMail debug, an app-only token without IMAP.AccessAsApp', 'javamail-no-role.txt', 'token-missing-imap-role', /IMAP\.AccessAsApp/],
    ['imapsync, a personal Microsoft account', 'imapsync-outlook-com.txt', 'imap-auth-rejected-opaque', /someone@outlook\.com/],
    ['curl --verbose, a Graph-scoped delegated token', 'curl-graph-token.txt', 'token-wrong-audience', /graph\.microsoft\.com/],
    ['Python imaplib debug, an expired token at the time of the log', 'python-imaplib-expired.txt', 'token-expired', /2026-11-30T10:00:00/],
    ['an Entra JSON body of a device-code poll', 'entra-json-device-code.txt', 'aadsts-no-credential', /public client flows/],
    ['an MSAL.NET stack trace naming another directory', 'msal-dotnet-other-directory.txt', 'aadsts-app-not-found', /'Fabrikam'/],
    ['an MSAL Node error with a code Microsoft does not list', 'node-msal-ca-53005.txt', 'aadsts-device-not-compliant', /AADSTS53005/],
  ])('%s', (_name, file, id, summary) => {
    const r = explain(fixture(file));
    expect(r.matches[0]?.id, JSON.stringify(r.matches.map((m) => m.id))).toBe(id);
    expect(r.matches[0]!.summary).toMatch(summary);
    expect(r.matches.length).toBeLessThanOrEqual(3);
  });

  it('fixes are filled from the decoded claims (the Graph token: the delegated IMAP scope, its real aud and scp)', () => {
    const d = explain(fixture('curl-graph-token.txt')).matches[0]!;
    expect(d.fix).toContain('--scope https://outlook.office.com/IMAP.AccessAsUser.All');
    expect(d.fix).toContain('aud https://graph.microsoft.com, scp Mail.Read User.Read');
    expect(d.fix).not.toContain('/.default');
  });

  it('the shared-mailbox fix names both users in Add-MailboxPermission, and the tenant from the token', () => {
    const d = explain(fixture('mailkit-shared-mailbox.txt')).matches[0]!;
    expect(d.fix).toContain("Add-MailboxPermission -Identity 'shared.inbox@contoso.com' -User 'alice@contoso.com' -AccessRights FullAccess");
    expect(d.fix).toContain("-Organization '9188040d-6c67-4c5b-b112-36a304b66dad'");
  });

  it('the Entra body: flow, code, correlation and trace IDs are read', () => {
    const ev = extractEvidence(fixture('entra-json-device-code.txt'));
    expect(ev).toMatchObject({ flow: 'device-code', correlationId: '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9', traceId: '6f1d2c3b-4a59-4e68-9b7a-1c2d3e4f5a6b', tenant: 'contoso.onmicrosoft.com' });
    expect(ev.aadsts).toEqual([{ code: 7000218, description: "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", oauthError: 'invalid_client' }]);
  });
});

describe('SASL strings in a log', () => {
  const tokens = () => JSON.parse(readFileSync(new URL('../fixtures/pasted-logs/tokens.json', import.meta.url), 'utf8')) as Record<string, string>;

  it('decodes the user and the claims, and lists the token and the string as secrets', () => {
    const ev = extractEvidence(fixture('mailkit-shared-mailbox.txt'));
    expect(ev.sasl).toHaveLength(1);
    expect(ev.sasl[0]).toMatchObject({ mechanism: 'XOAUTH2', user: 'shared.inbox@contoso.com', opaque: false, claims: { upn: 'alice@contoso.com', scp: 'IMAP.AccessAsUser.All User.Read' } });
    expect(ev.secrets).toContain(tokens().alice);
    expect(ev.secrets.some((s) => fixture('mailkit-shared-mailbox.txt').includes(`XOAUTH2 ${s}`))).toBe(true);
  });

  it('an OAUTHBEARER string (RFC 7628) is decoded too', () => {
    const payload = Buffer.from(`n,a=dave@contoso.com,\x01host=outlook.office365.com\x01port=993\x01auth=Bearer opaque-token-value-123\x01\x01`).toString('base64');
    expect(extractEvidence(`C: 1 AUTHENTICATE OAUTHBEARER ${payload}`).sasl).toEqual([{ mechanism: 'OAUTHBEARER', user: 'dave@contoso.com', claims: undefined, opaque: true }]);
  });

  it('the evidence holds no token (only the secrets list does)', () => {
    const { secrets, ...rest } = extractEvidence(fixture('curl-graph-token.txt'));
    expect(secrets.length).toBeGreaterThan(0);
    const text = JSON.stringify(rest);
    for (const s of secrets) expect(text).not.toContain(s);
  });
});
