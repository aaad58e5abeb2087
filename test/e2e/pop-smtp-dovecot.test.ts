// The POP3 and SMTP probes against a real Dovecot: POP3 on implicit TLS and submission with
// STARTTLS relaying to a sink, checking the same RS256 JWTs as the IMAP tests (offline, by key).
// Proves: a good token passes both; a token signed by another key is refused at authenticate;
// no AUTH before STARTTLS; nothing reaches the relay without sendTo, one message with it.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probePop } from '../../src/probe/pop3.js';
import { probeSmtp } from '../../src/probe/smtp.js';
import { Redactor } from '../../src/redact.js';
import { signJwt } from '../../src/sandbox/jwt.js';
import { createTestPki } from '../../src/sandbox/pki.js';
import { findLeak } from '../support/cli.js';
import { startDovecot, type Dovecot } from '../support/dovecot.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const AUDIENCE = 'https://outlook.office365.com';
const USER = 'someone@contoso.com';
const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
let dovecot: Dovecot;
let sink: SmtpSink;
let caPem: string;
const tokens: string[] = [];
const outputs: string[] = [];

function token(key = signing.privateKey): string {
  const now = Math.floor(Date.now() / 1000);
  const t = signJwt({ alg: 'RS256', typ: 'JWT', kid: 'k1' }, { aud: AUDIENCE, sub: 'sp', iat: now - 60, nbf: now - 60, exp: now + 3600, roles: ['POP.AccessAsApp', 'SMTP.SendAsApp'] }, key);
  tokens.push(t);
  return t;
}

beforeAll(async () => {
  const pki = await createTestPki('imap-oauth pop/smtp e2e CA');
  caPem = pki.ca.certPem;
  sink = await startSmtpSink();
  dovecot = await startDovecot({
    tls: await pki.issueServerCert(['localhost', '127.0.0.1']),
    jwtKeys: [{ kid: 'k1', publicKeyPem: signing.publicKey.export({ format: 'pem', type: 'spki' }).toString() }],
    audience: AUDIENCE,
    protocols: ['imap', 'pop3', 'submission'],
    submissionRelay: { host: sink.host, port: sink.port },
    messages: 4,
  });
});
afterAll(async () => {
  await Promise.all([dovecot?.stop(), sink?.close()]);
  // Every transcript, stage line and piece of evidence, scanned for every token used.
  expect(findLeak(outputs, tokens)).toBeNull();
});

const pop = (extra = {}) => ({ user: USER, host: 'localhost', port: dovecot.pop3sPort!, timeoutMs: 5000, caPem, connectTo: [{ toHost: '127.0.0.1' }], ...extra });
const smtp = (extra = {}) => ({ user: USER, host: 'localhost', port: dovecot.submissionPort!, timeoutMs: 5000, caPem, connectTo: [{ toHost: '127.0.0.1' }], waitForLogout: true, ...extra });
const keep = <T>(r: T): T => (outputs.push(JSON.stringify(r)), r);

describe('POP3 against Dovecot', () => {
  it.each(['XOAUTH2', 'OAUTHBEARER'] as const)('%s: a good token opens the mailbox; STAT counts its messages', async (mech) => {
    const r = keep(await probePop(pop({ mech }), token(), new Redactor()));
    expect(r.ok, JSON.stringify(r.stages)).toBe(true);
    expect(r.evidence.mailbox?.exists).toBe(4);
    expect(r.evidence.greeting).toMatch(/^\+OK Dovecot/);
  });

  it('a token signed by another key is refused at authenticate (error challenge answered)', async () => {
    const r = keep(await probePop(pop(), token(other.privateKey), new Redactor()));
    expect(r.failedStage).toBe('authenticate');
    expect(r.evidence.saslChallenge).toMatchObject({ status: '401' });
    expect(r.evidence.serverResponse).toMatch(/Authentication failed/);
  });
});

describe('SMTP submission against Dovecot', () => {
  it.each(['XOAUTH2', 'OAUTHBEARER'] as const)('%s: STARTTLS, AUTH, MAIL/RCPT/RSET pass, and nothing is relayed', async (mech) => {
    const before = sink.messages().length;
    const r = keep(await probeSmtp(smtp({ mech }), token(), new Redactor()));
    expect(r.ok, JSON.stringify(r.stages)).toBe(true);
    const sent = r.transcript.filter((l) => l.dir === 'C').map((l) => l.text.split(' ')[0]);
    expect(sent.slice(0, 4)).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'AUTH']);
    expect(sent).not.toContain('DATA');
    expect(sink.messages().length).toBe(before);
  });

  it('sendTo: one short test message reaches the relay', async () => {
    const before = sink.messages().length;
    const r = keep(await probeSmtp(smtp({ sendTo: 'other@contoso.com' }), token(), new Redactor()));
    expect(r.ok, JSON.stringify(r.stages)).toBe(true);
    const messages = sink.messages().slice(before);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.to).toEqual(['other@contoso.com']);
    expect(messages[0]!.data).toMatch(/^Subject: imap-oauth test message/m);
  });

  it('a token signed by another key: 535 at authenticate, nothing relayed', async () => {
    const before = sink.messages().length;
    const r = keep(await probeSmtp(smtp(), token(other.privateKey), new Redactor()));
    expect(r.failedStage).toBe('authenticate');
    expect(r.evidence.smtpReply?.code).toBe(535);
    expect(sink.messages().length).toBe(before);
  });
});
