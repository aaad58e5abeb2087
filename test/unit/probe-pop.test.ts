// The POP3 probe against the Exchange-like sandbox: the whole exchange, each refusal, and the
// stages they fail in. The token never appears in the transcript or the evidence.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probePop } from '../../src/probe/pop3.js';
import { Redactor } from '../../src/redact.js';
import { BACKEND, MAILBOX, SP_OID, createMailFixture, type MailFixture } from '../support/mail-sandboxes.js';

let fx: MailFixture;
beforeAll(async () => {
  fx = await createMailFixture();
});
afterEach(() => fx.closeAll());

const target = (port: number, extra = {}) => ({ user: MAILBOX, host: 'localhost', port, timeoutMs: 2000, caPem: fx.caPem, connectTo: [{ host: 'localhost', port, toHost: '127.0.0.1', toPort: port }], ...extra });

function noLeak(token: string, result: unknown) {
  const text = JSON.stringify(result);
  expect(text).not.toContain(token);
  expect(text).not.toContain(Buffer.from(token).toString('base64').slice(10, 60));
}

describe('probePop', () => {
  it('logs in with two-step AUTH XOAUTH2, reads STAT and decodes the backend', async () => {
    const server = await fx.pop();
    const token = fx.token();
    const r = await probePop(target(server.port), token, new Redactor());
    expect(r.ok, JSON.stringify(r.stages)).toBe(true);
    expect(r.stages.map((s) => s.name)).toEqual(['connect', 'capability', 'authenticate', 'mailbox', 'logout']);
    expect(r.evidence).toMatchObject({ protocol: 'pop', backend: BACKEND, authenticated: true, mailbox: { exists: 7 } });
    // Exchange refuses the initial response on the AUTH line: the payload travels alone.
    expect(server.sessions[0]!.commands.slice(0, 3)).toEqual(['CAPA', 'AUTH XOAUTH2', '<redacted>']);
    expect(r.transcript.map((l) => l.text)).toContain('<redacted>');
    noLeak(token, r);
  });

  it('waits for a token that is still on its way', async () => {
    const server = await fx.pop();
    const token = fx.token();
    const r = await probePop(target(server.port), new Promise((res) => setTimeout(() => res(token), 50)), new Redactor());
    expect(r.ok).toBe(true);
  });

  it.each([
    ['no service principal', { servicePrincipals: [] }],
    ['no FullAccess', { mailboxes: [{ upn: MAILBOX, messages: 1, fullAccess: [] }] }],
    ['POP disabled on the mailbox', { mailboxes: [{ upn: MAILBOX, messages: 1, fullAccess: [SP_OID], popEnabled: false }] }],
  ])('%s: -ERR Authentication failure at authenticate', async (_name, extra) => {
    const server = await fx.pop(extra);
    const r = await probePop(target(server.port), fx.token(), new Redactor());
    expect(r.failedStage).toBe('authenticate');
    expect(r.evidence.serverResponse).toBe('Authentication failure: unknown user name or bad password.');
    expect(r.evidence.authenticated).toBe(false);
  });

  it('a token without POP.AccessAsApp is refused the same way', async () => {
    const server = await fx.pop();
    const r = await probePop(target(server.port), fx.token({ roles: ['IMAP.AccessAsApp'] }), new Redactor());
    expect(r.failedStage).toBe('authenticate');
  });

  it('no XOAUTH2 in CAPA: capability stage, NO_MECHANISM, nothing sent for AUTH', async () => {
    const server = await fx.pop({ fault: 'no-xoauth2' });
    const r = await probePop(target(server.port), fx.token(), new Redactor());
    expect(r.failedStage).toBe('capability');
    expect(r.evidence.errorCode).toBe('NO_MECHANISM');
    expect(server.sessions[0]!.commands.some((c) => c.startsWith('AUTH'))).toBe(false);
  });

  it('an error challenge is decoded and answered with an empty line', async () => {
    const server = await fx.pop({ fault: 'error-challenge' });
    const r = await probePop(target(server.port), fx.token(), new Redactor());
    expect(r.failedStage).toBe('authenticate');
    expect(r.evidence.saslChallenge).toMatchObject({ status: '401' });
    expect(server.sessions[0]!.commands).toContain('');
  });

  it('a certificate for another name fails TLS verification at connect, naming the certificate', async () => {
    const server = await fx.pop({ tls: fx.wrongNameTls });
    const r = await probePop(target(server.port), fx.token(), new Redactor());
    expect(r.failedStage).toBe('connect');
    expect(r.evidence.tlsFailure?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(r.evidence.tlsFailure?.peer?.altNames).toContain('elsewhere.example');
    expect(server.sessions.every((x) => x.commands.length === 0)).toBe(true); // nothing was sent over it
  });

  it('a server that never greets: timed out in connect', async () => {
    const server = await fx.pop({ fault: 'hang-at-greeting' });
    const r = await probePop(target(server.port, { timeoutMs: 300 }), fx.token(), new Redactor());
    expect(r.failedStage).toBe('connect');
    expect(r.evidence.timedOut).toBe('connect');
  });

  it('a connection dropped mid-AUTH is connectionLost, not a verdict', async () => {
    const server = await fx.pop({ fault: 'close-mid-auth' });
    const r = await probePop(target(server.port), fx.token(), new Redactor());
    expect(r.failedStage).toBe('authenticate');
    expect(r.evidence.connectionLost).toBe(true);
    expect(r.evidence.serverResponse).toBeUndefined();
  });

  it('no token: nothing is authenticated', async () => {
    const server = await fx.pop();
    const r = await probePop(target(server.port), Promise.resolve(undefined), new Redactor());
    expect(r.evidence.errorCode).toBe('TOKEN_UNAVAILABLE');
    expect(server.sessions[0]!.commands.some((c) => c.startsWith('AUTH'))).toBe(false);
  });
});
