// POP3 probe: implicit TLS → greeting → CAPA → AUTH XOAUTH2 (RFC 5034) → STAT → QUIT.
// Own wire code (src/probe/line-conn.ts), not a library: no well-kept Node POP3 client does SASL
// with OAuth, and the check needs every line for the transcript and each stage's time.
//
// AUTH is sent in two steps (`AUTH XOAUTH2`, then the payload after the server's "+ "), never with
// an initial response: Exchange Online answers the one-line form with "-ERR Protocol error.
// Connection is closed. 10" (Microsoft's "Authenticate an IMAP, POP or SMTP connection using
// OAuth" shows the two-line exchange; public reports: getmail6/getmail6#256, marlam/mpop#11,
// eclipse-ee4j/angus-mail#144). RFC 5034 allows both; the two-line form costs one round trip.
import { decodeExchangeBackend } from '../imap/greeting.js';
import type { ProbeResult } from '../imap/types.js';
import type { Redactor } from '../redact.js';
import { buildOauthbearer, buildXoauth2, decodeErrorChallenge } from '../sasl.js';
import { Refusal, WireSession, type WireTarget } from './session.js';

/** The empty answer that ends a failed exchange after an error challenge (RFC 7628 §3.2.3; Dovecot wants AQ== for OAUTHBEARER). */
const ABORT_ANSWER = { XOAUTH2: '', OAUTHBEARER: 'AQ==' } as const;

export async function probePop(target: WireTarget, accessToken: string | Promise<string | undefined>, redactor: Redactor, signal?: AbortSignal): Promise<ProbeResult> {
  const s = new WireSession('pop', target, redactor, signal);
  const ev = s.evidence;
  const mech = target.mech ?? 'XOAUTH2';
  try {
    // connect: TCP, verified TLS, the greeting.
    const conn = await s.open('tls');
    const greeting = await conn.readLine();
    if (!greeting.startsWith('+OK')) {
      if (greeting.startsWith('-ERR')) refuse(greeting);
      ev.notImap = { firstLine: s.transcript.at(-1)?.text.slice(0, 80) ?? '' };
      throw new Refusal(`the server sent something that is not a POP3 greeting: "${ev.notImap.firstLine}"`);
    }
    ev.greeting = redactor.redact(greeting);
    ev.backend = decodeExchangeBackend(greeting);
    ev.tls = conn.tls;
    s.pass(`${ev.tls?.protocol ? `${ev.tls.protocol}, ` : ''}greeting received${ev.backend ? ` (backend ${ev.backend})` : ''}`, 'capability');

    // capability: CAPA, and the SASL mechanism asked for among its SASL line.
    conn.send('CAPA');
    const capa = await conn.readLine();
    const caps = capa.startsWith('+OK') ? await conn.readDotLines() : [];
    ev.capabilities = caps;
    const sasl = (caps.find((c) => /^SASL\b/i.test(c)) ?? '').split(/\s+/).slice(1).map((m) => m.toUpperCase());
    if (!sasl.includes(mech)) {
      ev.errorCode = 'NO_MECHANISM';
      s.fail(`the server does not offer SASL ${mech} (CAPA: ${sasl.length ? `SASL ${sasl.join(' ')}` : capa.startsWith('+OK') ? 'no SASL line' : redactor.redact(capa)})`);
      await s.quietQuit();
      return s.result();
    }
    s.pass(`SASL ${mech} offered`, 'authenticate');

    // authenticate: waiting for the token belongs to no server stage.
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
    conn.send(`AUTH ${mech}`);
    const go = await conn.readLine();
    if (!/^\+( |$)/.test(go)) refuse(go);
    conn.send(Buffer.from(raw, 'utf8').toString('base64'), '<redacted>');
    let answer = await conn.readLine();
    if (/^\+ \S/.test(answer)) {
      // An error challenge: the server refused the token and wants the exchange ended.
      const challenge = decodeErrorChallenge(answer.slice(2));
      if (challenge) ev.saslChallenge = redactor.redactValue(challenge);
      conn.send(ABORT_ANSWER[mech], '(empty response: abort the failed SASL exchange)');
      answer = await conn.readLine();
    }
    if (!answer.startsWith('+OK')) refuse(answer);
    ev.authenticated = true;
    s.pass(`AUTH ${mech} accepted`, 'mailbox');

    // mailbox: STAT proves the mailbox opens, and says how many messages it holds.
    conn.send('STAT');
    const stat = await conn.readLine();
    const m = /^\+OK (\d+) (\d+)/.exec(stat);
    if (!m) refuse(stat);
    const count = Number(m![1]);
    ev.mailbox = { folder: 'INBOX', exists: count };
    s.pass(`mailbox opened: ${count} message${count === 1 ? '' : 's'} (STAT)`, 'logout');

    await s.logout('QUIT', () => conn.readLine());
  } catch (err) {
    if (err instanceof Refusal) {
      if (!s.stages.some((st) => !st.ok)) s.fail(err.message);
      if (s.current !== 'connect') await s.quietQuit();
    } else s.failWith(err);
  }
  return s.result();

  /** A -ERR (or any unexpected line) ends the stage with the server's words. */
  function refuse(line: string): never {
    const text = line.replace(/^-ERR ?/, '').trim();
    ev.serverResponse = redactor.redact(text || line);
    throw new Refusal(`${line.startsWith('-ERR') ? '-ERR ' : ''}${ev.serverResponse}`);
  }
}
