// The SMTP AUTH probe against the Exchange-like sandbox: STARTTLS before AUTH always, the envelope
// without a message by default, each refusal with Exchange's code and enhanced code.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeSmtp } from '../../src/probe/smtp.js';
import { Redactor } from '../../src/redact.js';
import { MAILBOX, SP_OID, createMailFixture, type MailFixture } from '../support/mail-sandboxes.js';

let fx: MailFixture;
beforeAll(async () => {
  fx = await createMailFixture();
});
afterEach(() => fx.closeAll());

const target = (port: number, extra = {}) => ({ user: MAILBOX, host: 'localhost', port, timeoutMs: 2000, caPem: fx.caPem, connectTo: [{ host: 'localhost', port, toHost: '127.0.0.1', toPort: port }], ...extra });

describe('probeSmtp', () => {
  it('EHLO, STARTTLS, EHLO, AUTH XOAUTH2, MAIL/RCPT, RSET: passes and sends no message', async () => {
    const server = await fx.smtp();
    const token = fx.token();
    const r = await probeSmtp(target(server.port, { waitForLogout: true }), token, new Redactor());
    expect(r.ok, JSON.stringify(r.stages)).toBe(true);
    expect(r.stages.map((s) => s.name)).toEqual(['connect', 'capability', 'authenticate', 'mailbox', 'logout']);
    const session = server.sessions[0]!;
    expect(session.authBeforeTls).toBe(false);
    // An Entra-sized token makes the initial response too long for one SMTP line (RFC 4954 §4): AUTH, then the response.
    // (the sandbox records the response itself redacted)
    expect(session.commands.map((c) => c.split(' ')[0])).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'AUTH', '<redacted>', 'MAIL', 'RCPT', 'RSET', 'QUIT']);
    expect(session.commands[3]).toBe('AUTH XOAUTH2');
    expect(session.commands).not.toContain('DATA');
    expect(session.messages).toHaveLength(0);
    expect(r.evidence).toMatchObject({ protocol: 'smtp', authenticated: true, backend: 'AM3PR05CA0094.outlook.office365.com' });
    expect(r.transcript.find((l) => l.text.startsWith('AUTH'))?.text).toBe('AUTH XOAUTH2');
    expect(JSON.stringify(r)).not.toContain(token);
  });

  it('sendTo: DATA with a short message naming imap-oauth, accepted', async () => {
    const server = await fx.smtp();
    const r = await probeSmtp(target(server.port, { sendTo: MAILBOX }), fx.token(), new Redactor());
    expect(r.ok, JSON.stringify(r.stages)).toBe(true);
    const [message] = server.sessions[0]!.messages;
    expect(message?.data).toMatch(/^Subject: imap-oauth test message/m);
    expect(r.evidence.smtpSent?.recipient).toBe(MAILBOX);
  });

  it('no STARTTLS offered: capability stage, NO_MECHANISM, and AUTH is never sent in clear', async () => {
    const server = await fx.smtp({ fault: 'no-starttls' });
    const r = await probeSmtp(target(server.port), fx.token(), new Redactor());
    expect(r.failedStage).toBe('capability');
    expect(r.evidence).toMatchObject({ errorCode: 'NO_MECHANISM', noStartTls: true });
    expect(server.sessions[0]!.authBeforeTls).toBe(false);
    expect(server.sessions[0]!.commands.some((c) => c.startsWith('AUTH'))).toBe(false);
  });

  it('OAUTHBEARER is not offered by Exchange: capability stage, nothing sent', async () => {
    const server = await fx.smtp();
    const r = await probeSmtp(target(server.port, { mech: 'OAUTHBEARER' }), fx.token(), new Redactor());
    expect(r.failedStage).toBe('capability');
    expect(r.evidence.errorCode).toBe('NO_MECHANISM');
  });

  it.each([
    ['tenant disabled', { tenantSmtpAuthDisabled: true }, '5.7.139', /disabled for the Tenant/],
    ['mailbox disabled', { mailboxes: [{ upn: MAILBOX, messages: 0, fullAccess: [SP_OID], smtpClientAuthenticationDisabled: true }] }, '5.7.139', /disabled for the Mailbox/],
    ['security defaults', { securityDefaults: true }, '5.7.139', /security defaults policy/],
    ['conditional access', { conditionalAccess: true }, '5.7.139', /did not meet the criteria/],
    ['no service principal', { servicePrincipals: [] }, '5.7.3', /^Authentication unsuccessful/],
  ])('%s: 535 %s at authenticate', async (_n, extra, enhanced, text) => {
    const server = await fx.smtp(extra);
    const r = await probeSmtp(target(server.port), fx.token(), new Redactor());
    expect(r.failedStage).toBe('authenticate');
    expect(r.evidence.smtpReply).toMatchObject({ command: 'AUTH', code: 535, enhanced });
    expect(r.evidence.smtpReply!.text.replace(/^\S+ /, '')).toMatch(text);
  });

  it('the mailbox setting overrides the tenant: enabled mailbox in a disabled tenant passes', async () => {
    const server = await fx.smtp({ tenantSmtpAuthDisabled: true, mailboxes: [{ upn: MAILBOX, messages: 0, fullAccess: [SP_OID], sendAs: [SP_OID], smtpClientAuthenticationDisabled: false }] });
    const r = await probeSmtp(target(server.port), fx.token(), new Redactor());
    expect(r.ok).toBe(true);
  });

  it('no SendAs: the envelope passes, the message is refused after DATA with SendAsDenied', async () => {
    const mailboxes = [{ upn: MAILBOX, messages: 0, fullAccess: [SP_OID], sendAs: [] }];
    const quiet = await probeSmtp(target((await fx.smtp({ mailboxes })).port), fx.token(), new Redactor());
    expect(quiet.ok).toBe(true); // without --send-test the refusal cannot be seen
    const server = await fx.smtp({ mailboxes });
    const r = await probeSmtp(target(server.port, { sendTo: MAILBOX }), fx.token(), new Redactor());
    expect(r.failedStage).toBe('mailbox');
    expect(r.evidence.smtpReply).toMatchObject({ command: '.', code: 554, enhanced: '5.2.252' });
    expect(r.evidence.smtpReply!.text).toContain('SendAsDenied');
    expect(server.sessions[0]!.messages).toHaveLength(0);
  });

  it('an error challenge (334 + JSON) is decoded and answered with an empty line', async () => {
    const server = await fx.smtp({ fault: 'error-challenge' });
    const r = await probeSmtp(target(server.port), fx.token(), new Redactor());
    expect(r.failedStage).toBe('authenticate');
    expect(r.evidence.saslChallenge).toMatchObject({ status: '401' });
    expect(server.sessions[0]!.commands).toContain('');
  });

  it('a certificate for another name after STARTTLS: TLS verification failed, no AUTH sent', async () => {
    const server = await fx.smtp({ tls: fx.wrongNameTls });
    const r = await probeSmtp(target(server.port), fx.token(), new Redactor());
    expect(r.failedStage).toBe('capability');
    expect(r.evidence.tlsFailure?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(r.stages.at(-1)?.detail).toMatch(/TLS verification failed/);
    expect(server.sessions[0]!.commands.some((c) => c.startsWith('AUTH'))).toBe(false);
  });

  it('an untrusted certificate (no --ca-file) after STARTTLS fails verification too', async () => {
    const server = await fx.smtp();
    const r = await probeSmtp(target(server.port, { caPem: undefined }), fx.token(), new Redactor());
    expect(r.evidence.tlsFailure?.code).toMatch(/UNABLE_TO|SELF_SIGNED/);
    expect(r.evidence.tlsFailure?.peer?.subject).toBeTruthy();
  });

  it('refuses a --user that would break the command line, before connecting', async () => {
    const server = await fx.smtp();
    const r = await probeSmtp(target(server.port, { user: 'a@b.c>\r\nRCPT TO:<x@y.z' }), fx.token(), new Redactor());
    expect(r.ok).toBe(false);
    expect(server.sessions).toHaveLength(0);
  });
});
