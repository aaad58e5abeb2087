// Each Exchange refusal, from the sandbox's wire through the probe to the finding: probe + diagnose
// on the same evidence the CLI will report. The replies this tool's own client never provokes
// (AUTH before STARTTLS, a password login, MAIL before AUTH, another sender) are checked on the
// raw wire, worded as Exchange words them.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { diagnose, type DiagnosisContext } from '../../src/diagnose/index.js';
import { probePop } from '../../src/probe/pop3.js';
import { probeSmtp } from '../../src/probe/smtp.js';
import { Redactor } from '../../src/redact.js';
import { decodeJwtPayload, summariseClaims } from '../../src/token/claims.js';
import { MAILBOX, SP_OID, createMailFixture, type MailFixture } from '../support/mail-sandboxes.js';
import type { ProbeResult } from '../../src/imap/types.js';

let fx: MailFixture;
beforeAll(async () => {
  fx = await createMailFixture();
});
afterEach(() => fx.closeAll());

const target = (port: number, extra = {}) => ({ user: MAILBOX, host: 'localhost', port, timeoutMs: 2000, caPem: fx.caPem, connectTo: [{ toHost: '127.0.0.1' }], ...extra });

function findings(token: string, probe: ProbeResult): string[] {
  const ctx: DiagnosisContext = {
    user: MAILBOX, host: 'localhost', scope: 'https://outlook.office365.com/.default', credential: 'client-secret', now: new Date(), probe,
    token: { source: 'client-secret', ok: true, ms: 1, requests: 1, claims: summariseClaims(decodeJwtPayload(token)) },
  };
  return diagnose(ctx).filter((d) => d.severity === 'error').map((d) => d.id);
}

const noSendAs = [{ upn: MAILBOX, messages: 0, fullAccess: [SP_OID], sendAs: [] }];

describe('SMTP refusals → findings', () => {
  it.each([
    ['tenant disabled', { tenantSmtpAuthDisabled: true }, {}, 'smtp-auth-disabled-tenant'],
    ['mailbox disabled', { mailboxes: [{ upn: MAILBOX, messages: 0, fullAccess: [SP_OID], smtpClientAuthenticationDisabled: true }] }, {}, 'smtp-auth-disabled-mailbox'],
    ['security defaults', { securityDefaults: true }, {}, 'smtp-security-defaults'],
    ['conditional access', { conditionalAccess: true }, {}, 'smtp-conditional-access'],
    ['no service principal (good token)', { servicePrincipals: [] }, {}, 'smtp-auth-rejected-service-principal'],
    ['no SendAs, --send-test', { mailboxes: noSendAs }, { sendTo: MAILBOX }, 'smtp-send-as-denied'],
    ['no STARTTLS', { fault: 'no-starttls' as const }, {}, 'smtp-no-starttls'],
    ['OAUTHBEARER asked for', {}, { mech: 'OAUTHBEARER' as const }, 'smtp-no-mechanism'],
    ['error challenge', { fault: 'error-challenge' as const }, {}, 'smtp-sasl-error-challenge'],
  ])('%s → %s', async (_n, server, extra, id) => {
    const s = await fx.smtp(server);
    const token = fx.token();
    const r = await probeSmtp(target(s.port, extra), token, new Redactor());
    expect(findings(token, r)).toEqual([id]);
  });

  it('without SMTP.SendAsApp: 535 5.7.3 and the advisory names the role', async () => {
    const s = await fx.smtp();
    const token = fx.token({ roles: ['IMAP.AccessAsApp'] });
    const r = await probeSmtp(target(s.port), token, new Redactor());
    const ctx = { user: MAILBOX, host: 'localhost', scope: 'x', credential: 'client-secret' as const, now: new Date(), probe: r, token: { source: 'client-secret' as const, ok: true, ms: 1, requests: 1, claims: summariseClaims(decodeJwtPayload(token)) } };
    expect(diagnose(ctx).map((d) => d.id)).toEqual(['smtp-token-missing-role', 'smtp-auth-rejected']);
  });
});

describe('POP3 refusals → findings', () => {
  it.each([
    ['no service principal', { servicePrincipals: [] }, 'pop-auth-rejected-service-principal'],
    ['POP disabled', { mailboxes: [{ upn: MAILBOX, messages: 1, fullAccess: [SP_OID], popEnabled: false }] }, 'pop-auth-rejected-service-principal'],
    ['no XOAUTH2', { fault: 'no-xoauth2' as const }, 'pop-no-mechanism'],
  ])('%s → %s', async (_n, server, id) => {
    const s = await fx.pop(server);
    const token = fx.token();
    const r = await probePop(target(s.port), token, new Redactor());
    expect(findings(token, r)).toEqual([id]);
  });
});

// ── The raw wire: replies the probe never provokes ───────────────────────────────────────────
interface Wire {
  send(line: string): void;
  reply(): Promise<string>;
  starttls(): Promise<void>;
  close(): void;
}

function wire(port: number): Promise<Wire> {
  return new Promise((resolve) => {
    let socket: net.Socket = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    let wake: (() => void) | null = null;
    const onData = (d: Buffer) => ((buf += d.toString()), wake?.());
    socket.on('data', onData);
    const reply = async (): Promise<string> => {
      for (;;) {
        const m = /(^|\n)(\d{3}) [^\n]*\r\n/.exec(buf);
        if (m) {
          const end = m.index + m[0].length;
          const text = buf.slice(0, end).trim().split('\r\n').at(-1)!;
          buf = buf.slice(end);
          return text;
        }
        await new Promise<void>((r) => (wake = r));
      }
    };
    const w: Wire = {
      send: (line) => void socket.write(`${line}\r\n`),
      reply,
      starttls: () =>
        new Promise((r) => {
          socket.off('data', onData);
          socket = tls.connect({ socket, servername: 'localhost', ca: fx.caPem }, () => r());
          socket.on('data', onData);
        }),
      close: () => socket.destroy(),
    };
    void reply().then(() => resolve(w));
  });
}

describe('SMTP sandbox wire wording', () => {
  it('AUTH before STARTTLS: 504 5.7.4; MAIL before AUTH: 530 5.7.57', async () => {
    const w = await wire((await fx.smtp()).port);
    w.send('EHLO [127.0.0.1]');
    expect(await w.reply()).toBe('250 SMTPUTF8');
    w.send('AUTH XOAUTH2 dGVzdA==');
    expect(await w.reply()).toMatch(/^504 5\.7\.4 Unrecognized authentication type \[/);
    w.send('MAIL FROM:<a@b.c>');
    expect(await w.reply()).toMatch(/^530 5\.7\.57 Client not authenticated to send mail\. \[/);
    w.close();
  });

  it('a password login after STARTTLS: 550 5.7.30; another sender after AUTH: 550 5.7.60', async () => {
    const s = await fx.smtp({ mailboxes: [{ upn: MAILBOX, messages: 0, fullAccess: [SP_OID] }, { upn: 'other@contoso.onmicrosoft.com', messages: 0, fullAccess: [] }] });
    const w = await wire(s.port);
    w.send('EHLO [127.0.0.1]');
    await w.reply();
    w.send('STARTTLS');
    expect(await w.reply()).toBe('220 2.0.0 SMTP server ready');
    await w.starttls();
    w.send('EHLO [127.0.0.1]');
    expect(await w.reply()).toBe('250 SMTPUTF8');
    w.send('AUTH LOGIN');
    expect(await w.reply()).toBe('334 VXNlcm5hbWU6');
    w.send('dXNlcg==');
    expect(await w.reply()).toBe('334 UGFzc3dvcmQ6');
    w.send('cGFzcw==');
    expect(await w.reply()).toMatch(/^550 5\.7\.30 Basic authentication is not supported for Client Submission\. \[/);
    w.send(`AUTH XOAUTH2 ${Buffer.from(`user=${MAILBOX}\x01auth=Bearer ${fx.token()}\x01\x01`).toString('base64')}`);
    expect(await w.reply()).toBe('235 2.7.0 Authentication successful');
    w.send('MAIL FROM:<other@contoso.onmicrosoft.com>');
    expect(await w.reply()).toBe('550 5.7.60 SMTP; Client does not have permissions to send as this sender');
    expect(s.sessions[0]!.commands).toContain('AUTH XOAUTH2 <redacted>');
    w.close();
  });
});
