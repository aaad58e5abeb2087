// SMTP AUTH (client submission) probe: greeting → EHLO → STARTTLS (required) → EHLO → AUTH
// XOAUTH2/OAUTHBEARER → MAIL FROM / RCPT TO → RSET (or, with sendTest, DATA) → QUIT.
// Own wire code rather than nodemailer's smtp-connection: it would be a second wire layer next to
// the POP3 one, it reports one error per command where the diagnosis wants every reply line with
// its enhanced code for the transcript, and its STARTTLS/AUTH sequence is not split into the
// stages this report times. The ~200 lines here share line-conn.ts with POP3.
//
// Never AUTH in clear: without STARTTLS in the first EHLO the probe stops (capability stage), even
// when the server offers AUTH on the plain connection (Dovecot's submission does).
import { randomUUID } from 'node:crypto';
import type { ProbeResult } from '../imap/types.js';
import type { Redactor } from '../redact.js';
import { buildOauthbearer, buildXoauth2, decodeErrorChallenge } from '../sasl.js';
import type { LineConn, SmtpReply } from './line-conn.js';
import { Refusal, WireSession, type WireTarget } from './session.js';

export interface SmtpTarget extends WireTarget {
  /** Send a short test message (DATA) to this address; absent: no message is sent. */
  sendTo?: string;
}

const ABORT_ANSWER = { XOAUTH2: '', OAUTHBEARER: 'AQ==' } as const;
/** What may go between < and > here: no spaces, brackets or controls (it is sent as a command argument). */
const ADDRESS = /^[^\s<>()\\,;:"\x00-\x1f\x7f]+@[^\s<>()\\,;:"@\x00-\x1f\x7f]+$/;

/** RFC 5321 §4.5.3.1.4: a command line, CRLF included, is at most 512 octets. */
const SMTP_COMMAND_LINE = 510;

export async function probeSmtp(target: SmtpTarget, accessToken: string | Promise<string | undefined>, redactor: Redactor, signal?: AbortSignal): Promise<ProbeResult> {
  const s = new WireSession('smtp', target, redactor, signal);
  const ev = s.evidence;
  const mech = target.mech ?? 'XOAUTH2';
  let conn: LineConn | undefined;

  /** One command and its reply; a reply outside `ok` ends the stage with the server's words. */
  const command = async (line: string, ok: number[], shown?: string): Promise<SmtpReply> => {
    conn!.send(line, shown);
    const reply = await conn!.readSmtpReply();
    if (!ok.includes(reply.code)) refuse(shown ?? line, reply);
    return reply;
  };
  function refuse(line: string, reply: SmtpReply): never {
    const verb = line.split(' ').slice(0, line.startsWith('MAIL') || line.startsWith('RCPT') ? 2 : 1).join(' ').replace(/:.*$/, '');
    ev.smtpReply = { command: verb, code: reply.code, enhanced: reply.enhanced, text: redactor.redact(reply.text) };
    ev.serverResponse = redactor.redact(`${reply.code} ${reply.text}`);
    throw new Refusal(`${verb}: ${ev.serverResponse}`);
  }

  try {
    for (const [what, address] of [['--user', target.user], ['--send-test', target.sendTo]] as const) {
      if (address !== undefined && !ADDRESS.test(address)) throw new Refusal(`${what} ${JSON.stringify(address)} is not a mailbox address for MAIL FROM / RCPT TO`);
    }
    // connect: TCP and the 220 greeting (TLS comes with STARTTLS, in the capability stage).
    conn = await s.open('plain');
    const greeting = await conn.readSmtpReply().catch((err: Error & { code?: string }) => {
      if (err.code === 'NOT_SMTP') ev.notImap = { firstLine: s.transcript.at(-1)?.text.slice(0, 80) ?? '' };
      throw err;
    });
    ev.greeting = redactor.redact(`${greeting.code} ${greeting.text}`);
    if (greeting.code !== 220) refuse('connect', greeting);
    // Exchange names the front-end server that took the connection first: "220 AM3PR05CA0094.outlook.office365.com Microsoft ESMTP …".
    if (/Microsoft ESMTP/i.test(greeting.text)) ev.backend = /^(\S+)/.exec(greeting.text)?.[1];
    s.pass(`greeting received${ev.backend ? ` (${ev.backend})` : ''}`, 'capability');

    // capability: EHLO, STARTTLS, verified TLS, EHLO again, the mechanism in AUTH.
    const ehlo = `EHLO ${conn.localLiteral}`;
    const first = await command(ehlo, [250]);
    const plainKeywords = first.lines.slice(1).map((l) => l.trim());
    if (!plainKeywords.some((k) => /^STARTTLS$/i.test(k))) {
      ev.capabilities = plainKeywords;
      ev.errorCode = 'NO_MECHANISM';
      ev.noStartTls = true;
      s.fail('the server does not offer STARTTLS: the token is never sent over a plain connection');
      await s.quietQuit();
      return s.result();
    }
    await command('STARTTLS', [220]);
    await conn.startTls(s.tlsParams, target.timeoutMs);
    ev.tls = conn.tls;
    const second = await command(ehlo, [250]);
    const keywords = second.lines.slice(1).map((l) => l.trim());
    ev.capabilities = keywords;
    const auth = keywords.filter((k) => /^AUTH[ =]/i.test(k)).flatMap((k) => k.slice(5).toUpperCase().split(/\s+/));
    if (!auth.includes(mech)) {
      ev.errorCode = 'NO_MECHANISM';
      s.fail(`the server does not offer AUTH ${mech} after STARTTLS (offers: ${auth.length ? `AUTH ${auth.join(' ')}` : 'no AUTH'})`);
      await s.quietQuit();
      return s.result();
    }
    s.pass(`STARTTLS, ${ev.tls?.protocol ?? 'TLS'}; AUTH ${mech} offered`, 'authenticate');

    // authenticate: the token may still be on its way.
    const token = await accessToken;
    if (!token) {
      ev.errorCode = 'TOKEN_UNAVAILABLE';
      s.fail('no access token');
      await s.quietQuit();
      return s.result();
    }
    s.enter('authenticate');
    const raw = mech === 'XOAUTH2' ? buildXoauth2(target.user, token) : buildOauthbearer(target.user, target.host, target.port, token);
    redactor.addSasl(raw, token); // before a byte of it is sent
    const response = Buffer.from(raw, 'utf8').toString('base64');
    let reply: Awaited<ReturnType<typeof conn.readSmtpReply>>;
    if (`AUTH ${mech} ${response}`.length <= SMTP_COMMAND_LINE) {
      // RFC 4954 initial response on the AUTH line: one round trip.
      conn.send(`AUTH ${mech} ${response}`, `AUTH ${mech} <redacted>`);
      reply = await conn.readSmtpReply();
    } else {
      // An initial response that makes the line longer than SMTP allows MUST NOT be sent (RFC 4954
      // §4; Dovecot answers "500 5.5.2 Line too long"): AUTH alone, then the response after "334 ",
      // the exchange Microsoft's own page shows for Exchange Online. Entra tokens always take this way.
      conn.send(`AUTH ${mech}`, `AUTH ${mech}`);
      reply = await conn.readSmtpReply();
      if (reply.code === 334) {
        conn.send(response, '<redacted>');
        reply = await conn.readSmtpReply();
      }
    }
    if (reply.code === 334) {
      // An error challenge (RFC 7628 §3.2.2): decode it, answer so the server can finish with its 5xx.
      const challenge = decodeErrorChallenge(reply.text);
      if (challenge) ev.saslChallenge = redactor.redactValue(challenge);
      conn.send(ABORT_ANSWER[mech], '(empty response: abort the failed SASL exchange)');
      reply = await conn.readSmtpReply();
    }
    if (reply.code !== 235) refuse(`AUTH ${mech}`, reply);
    ev.authenticated = true;
    s.pass(`AUTH ${mech} accepted`, 'mailbox');

    // mailbox (the envelope): no message unless asked for.
    const rcpt = target.sendTo ?? target.user;
    await command(`MAIL FROM:<${target.user}>`, [250]);
    await command(`RCPT TO:<${rcpt}>`, [250, 251]);
    if (target.sendTo === undefined) {
      await command('RSET', [250]);
      s.pass(`MAIL FROM and RCPT TO accepted, then RSET: no message sent`, 'logout');
    } else {
      await command('DATA', [354]);
      const lines = testMessage(target.user, rcpt);
      for (const line of lines) s.record('C', line);
      conn.sendRaw(`${lines.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n')}\r\n`);
      const queued = await command('.', [250]);
      ev.smtpSent = { recipient: rcpt, reply: redactor.redact(`${queued.code} ${queued.text}`) };
      s.pass(`test message accepted for ${rcpt}`, 'logout');
    }

    await s.logout('QUIT', () => conn!.readSmtpReply());
  } catch (err) {
    if (err instanceof Refusal) {
      s.fail(err.message);
      if (conn) await s.quietQuit();
    } else s.failWith(err);
  }
  return s.result();
}

/** The --send-test message (without the final "."): short, plain, and saying what sent it. */
export function testMessage(from: string, to: string, now = new Date()): string[] {
  return [
    `From: <${from}>`,
    `To: <${to}>`,
    'Subject: imap-oauth test message (SMTP AUTH with OAuth 2.0)',
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomUUID()}@imap-oauth.invalid>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `imap-oauth test --protocol smtp --send-test sent this message as ${from}`,
    'to check that this app can submit mail over SMTP AUTH with OAuth 2.0. No reply is needed.',
  ];
}
