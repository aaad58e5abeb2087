// The Exchange-like sandbox IMAP server: success path with a real client (imapflow), each decision
// Exchange makes about an app-only token, and each scripted fault, seen on the raw wire.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import tls from 'node:tls';
import { generateKeyPairSync } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { decodeExchangeBackend } from '../../src/imap/greeting.js';
import { createTestPki } from '../../src/sandbox/pki.js';
import { signJwt, verifyJwt } from '../../src/sandbox/jwt.js';
import {
  startImapSandbox,
  exchangeGreeting,
  type ImapSandbox,
  type ImapSandboxOptions,
  type TokenCheck,
} from '../../src/sandbox/imap-server.js';

const AUD = 'https://outlook.office365.com';
const DELEGATED_AUD = 'https://outlook.office.com';
const USER_OID = '1c2d3e4f-0000-4000-8000-0000000000c3';
const USER_UPN = 'alex@contoso.onmicrosoft.com';
const APP_ID = '6f1b2c3d-0000-4000-8000-0000000000a1';
const SP_OID = '9a8b7c6d-0000-4000-8000-0000000000b2';
const UPN = 'shared@contoso.onmicrosoft.com';
const BACKEND = 'AM0PR01CA0042.eurprd01.prod.exchangelabs.com';

let caPem: string;
let serverTls: { keyPem: string; certPem: string };
const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
const intruder = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = signing.publicKey.export({ type: 'spki', format: 'pem' }).toString();

beforeAll(async () => {
  const pki = await createTestPki();
  caPem = pki.ca.certPem;
  serverTls = await pki.issueServerCert(['localhost', '127.0.0.1']);
});

function token(claims: Record<string, unknown> = {}, key = signing.privateKey): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    { alg: 'RS256', typ: 'JWT', kid: 'k1' },
    { aud: AUD, appid: APP_ID, oid: SP_OID, roles: ['IMAP.AccessAsApp'], iat: now, nbf: now, exp: now + 3600, ...claims },
    key,
  );
}

function xoauth2(user: string, accessToken: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`).toString('base64');
}

function verifyToken(t: string): TokenCheck {
  try {
    const { payload } = verifyJwt(t, publicPem);
    if (typeof payload.exp !== 'number' || payload.exp * 1000 < Date.now()) return { ok: false, reason: 'expired' };
    // Like world.ts: app-only tokens name outlook.office365.com, delegated ones outlook.office.com.
    if (payload.aud !== AUD && payload.aud !== DELEGATED_AUD) return { ok: false, reason: 'wrong audience' };
    return { ok: true, claims: payload };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

const servers: ImapSandbox[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(extra: Partial<ImapSandboxOptions> = {}): Promise<ImapSandbox> {
  const server = await startImapSandbox({
    tls: serverTls,
    verifyToken,
    servicePrincipals: [APP_ID],
    mailboxes: [
      { upn: UPN, messages: 7, fullAccess: [SP_OID] },
      { upn: 'noaccess@contoso.onmicrosoft.com', messages: 1, fullAccess: [] },
      { upn: 'noimap@contoso.onmicrosoft.com', messages: 1, fullAccess: [SP_OID], imapEnabled: false },
      { upn: USER_UPN, messages: 3, fullAccess: [] },
      { upn: 'team@contoso.onmicrosoft.com', messages: 2, fullAccess: [USER_OID] },
    ],
    backendName: BACKEND,
    ...extra,
  });
  servers.push(server);
  return server;
}

// --- A raw line client over implicit TLS ------------------------------------------------------

interface Raw {
  socket: tls.TLSSocket;
  received(): Buffer;
  /** Next line (without CRLF); rejects with 'timeout' or 'closed'. */
  next(ms?: number): Promise<string>;
  send(text: string): void;
  /** Sends `<tag> <text>`, collects lines up to the tagged reply or a '+' continuation. */
  cmd(tag: string, text: string): Promise<string[]>;
  closed: Promise<void>;
}

function connect(server: ImapSandbox): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: server.host, port: server.port, ca: caPem, servername: 'localhost' });
    const chunks: Buffer[] = [];
    const lines: string[] = [];
    let partial = '';
    let ended = false;
    let wake: (() => void) | null = null;
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      ended = true;
      wake?.();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      partial += chunk.toString('latin1');
      let nl: number;
      while ((nl = partial.indexOf('\r\n')) >= 0) {
        lines.push(partial.slice(0, nl));
        partial = partial.slice(nl + 2);
      }
      wake?.();
    });
    const next = async (ms = 2000): Promise<string> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const line = lines.shift();
        if (line !== undefined) return line;
        if (ended) throw new Error('closed');
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('timeout');
        await new Promise<void>((r) => {
          const timer = setTimeout(r, left);
          wake = () => {
            clearTimeout(timer);
            r();
          };
        });
        wake = null;
      }
    };
    const send = (text: string) => socket.write(`${text}\r\n`);
    const raw: Raw = {
      socket,
      received: () => Buffer.concat(chunks),
      next,
      send,
      closed,
      async cmd(tag, text) {
        send(`${tag} ${text}`);
        const out: string[] = [];
        for (;;) {
          const line = await next();
          out.push(line);
          if (line.startsWith(`${tag} `) || line.startsWith('+')) return out;
        }
      },
    };
    socket.once('secureConnect', () => resolve(raw));
    socket.once('error', reject);
  });
}

/** Connects, reads the greeting, authenticates with SASL-IR; returns the client and the reply. */
async function login(server: ImapSandbox, user = UPN, accessToken = token()): Promise<{ raw: Raw; reply: string[] }> {
  const raw = await connect(server);
  expect(await raw.next()).toMatch(/^\* OK The Microsoft Exchange IMAP4 service is ready\. \[/);
  const reply = await raw.cmd('a1', `AUTHENTICATE XOAUTH2 ${xoauth2(user, accessToken)}`);
  return { raw, reply };
}

function imapflow(server: ImapSandbox, user = UPN, accessToken = token()): ImapFlow {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: true,
    servername: 'localhost',
    tls: { ca: [caPem] },
    auth: { user, accessToken },
    logger: false,
  });
  client.on('error', () => undefined);
  return client;
}

async function silentFor(raw: Raw, ms: number): Promise<void> {
  await expect(raw.next(ms)).rejects.toThrow('timeout');
}

// --- Tests -------------------------------------------------------------------------------------

describe('greeting and not-authenticated state', () => {
  it('greets like Exchange, with the backend name as base64 of UTF-16LE', async () => {
    expect(exchangeGreeting('AB')).toBe('* OK The Microsoft Exchange IMAP4 service is ready. [QQBCAA==]');
    expect(exchangeGreeting('AB', 'backend-authenticate')).toBe('* OK The Microsoft Exchange IMAP4 service is ready. (BACKENDAUTHENTICATE) [QQBCAA==]');
    const raw = await connect(await start());
    const greeting = await raw.next();
    const b64 = /\[([A-Za-z0-9+/=]+)\]$/.exec(greeting)?.[1] ?? '';
    expect(Buffer.from(b64, 'base64').toString('utf16le')).toBe(BACKEND);
    expect(await raw.cmd('c1', 'CAPABILITY')).toEqual([
      '* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+',
      'c1 OK CAPABILITY completed.',
    ]);
  });

  it('the late-2025 greeting variant, "(BACKENDAUTHENTICATE) [base64]": the backend still decodes', async () => {
    const raw = await connect(await start({ greetingStyle: 'backend-authenticate' }));
    const greeting = await raw.next();
    expect(greeting).toMatch(/^\* OK The Microsoft Exchange IMAP4 service is ready\. \(BACKENDAUTHENTICATE\) \[[A-Za-z0-9+/=]+\]$/);
    expect(decodeExchangeBackend(greeting)).toBe(BACKEND);
  });

  it('refuses Basic auth, unknown mechanisms and commands that need a login', async () => {
    const server = await start();
    const raw = await connect(server);
    await raw.next();
    expect(await raw.cmd('a1', 'LOGIN shared@contoso.onmicrosoft.com hunter2')).toEqual(['a1 NO LOGIN failed.']);
    const plain = Buffer.from(`\0${UPN}\0hunter2`).toString('base64');
    expect(await raw.cmd('a2', `AUTHENTICATE PLAIN ${plain}`)).toEqual(['a2 NO AUTHENTICATE failed.']);
    expect(await raw.cmd('a3', 'AUTHENTICATE CRAM-MD5')).toEqual(['a3 BAD Command Argument Error. 11']);
    expect(await raw.cmd('a4', 'SELECT INBOX')).toEqual(['a4 BAD Command received in Invalid state.']);
    expect(await raw.cmd('a5', 'NAMESPACE')).toEqual(['a5 BAD Command received in Invalid state.']);
    expect(await raw.cmd('a6', 'FROBNICATE')).toEqual(['a6 BAD Command Error. 12']);
    expect(await raw.cmd('a7', 'ID ("name" "test")')).toEqual(['* ID NIL', 'a7 OK ID completed.']);
    expect(server.sessions[0]!.commands.slice(0, 2)).toEqual(['a1 LOGIN <redacted>', 'a2 AUTHENTICATE PLAIN <redacted>']);
    expect(server.sessions[0]!.authenticated).toBe(false);
  });
});

describe('success path', () => {
  it('imapflow logs in with XOAUTH2 and opens INBOX read-only', async () => {
    const server = await start();
    const client = imapflow(server);
    await client.connect();
    const box = await client.mailboxOpen('INBOX', { readOnly: true });
    expect(box.exists).toBe(7);
    await client.logout();

    const [session] = server.sessions;
    expect(session).toMatchObject({ authenticated: true, user: UPN });
    const verbs = session!.commands.map((c) => c.split(' ').slice(1, 3).join(' '));
    expect(verbs).toContain('AUTHENTICATE XOAUTH2');
    expect(verbs).toContain('NAMESPACE');
    expect(verbs).toContain('EXAMINE INBOX');
    expect(verbs.at(-1)).toBe('LOGOUT');
    expect(session!.commands.find((c) => / AUTHENTICATE /.test(c))).toMatch(/ AUTHENTICATE XOAUTH2 <redacted>$/);
  });

  it('answers the authenticated commands with Exchange wording (SASL-IR form)', async () => {
    const { raw, reply } = await login(await start());
    expect(reply).toEqual(['a1 OK AUTHENTICATE completed.']);
    const caps = await raw.cmd('a2', 'CAPABILITY');
    // As Exchange: the AUTH= entries stay after login, and its own extensions appear.
    expect(caps[0]).toBe(
      '* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CLIENTACCESSRULES CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE CHILDREN IDLE NAMESPACE LITERAL+',
    );
    expect(await raw.cmd('a3', 'NAMESPACE')).toEqual(['* NAMESPACE (("" "/")) NIL NIL', 'a3 OK NAMESPACE completed.']);
    expect(await raw.cmd('a4', 'LIST "" "INBOX"')).toEqual(['* LIST (\\HasNoChildren) "/" INBOX', 'a4 OK LIST completed.']);
    expect(await raw.cmd('a5', 'LIST "" "*"')).toEqual([
      '* LIST (\\HasNoChildren) "/" INBOX',
      '* LIST (\\HasNoChildren \\Sent) "/" "Sent Items"',
      'a5 OK LIST completed.',
    ]);
    expect(await raw.cmd('a6', 'EXAMINE INBOX')).toEqual([
      '* 7 EXISTS',
      '* 0 RECENT',
      '* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)',
      '* OK [PERMANENTFLAGS ()] Permanent flags',
      '* OK [UIDVALIDITY 14] UIDVALIDITY value',
      '* OK [UIDNEXT 8] The next unique identifier value',
      'a6 OK [READ-ONLY] EXAMINE completed.',
    ]);
    expect(await raw.cmd('a7', 'CLOSE')).toEqual(['a7 OK CLOSE completed.']);
    expect((await raw.cmd('a8', 'SELECT inbox')).at(-1)).toBe('a8 OK [READ-WRITE] SELECT completed.');
    expect(await raw.cmd('a9', 'EXAMINE Archive')).toEqual(["a9 NO Mailbox doesn't exist."]);
    expect(await raw.cmd('b1', 'STATUS INBOX (MESSAGES UIDNEXT)')).toEqual([
      '* STATUS INBOX (MESSAGES 7 UIDNEXT 8)',
      'b1 OK STATUS completed.',
    ]);
    expect(await raw.cmd('b2', 'LOGOUT')).toEqual([
      '* BYE Microsoft Exchange Server IMAP4 server signing off.',
      'b2 OK LOGOUT completed.',
    ]);
    await raw.closed;
  });

  it('accepts the SASL response after an empty continuation (no SASL-IR), and a * cancel', async () => {
    const server = await start();
    const raw = await connect(server);
    await raw.next();
    expect(await raw.cmd('a1', 'AUTHENTICATE XOAUTH2')).toEqual(['+ ']);
    raw.send('*');
    expect(await raw.next()).toBe('a1 BAD AUTHENTICATE cancelled.');
    expect(await raw.cmd('a2', 'AUTHENTICATE XOAUTH2')).toEqual(['+ ']);
    raw.send(xoauth2(UPN, token()));
    expect(await raw.next()).toBe('a2 OK AUTHENTICATE completed.');
    expect(server.sessions[0]!.commands).toEqual(['a1 AUTHENTICATE XOAUTH2', '*', 'a2 AUTHENTICATE XOAUTH2', '<redacted>']);
  });

  it('reads synchronising and non-synchronising literals', async () => {
    const { raw } = await login(await start());
    expect(await raw.cmd('a2', 'EXAMINE {5}')).toEqual(['+ Ready for additional command text.']);
    raw.send('INBOX');
    expect(await raw.next()).toBe('* 7 EXISTS');
    while (!(await raw.next()).startsWith('a2 ')) {
      /* skip to the tagged reply */
    }
    expect(await raw.cmd('a3', 'STATUS {10+}\r\nSent Items (MESSAGES)')).toEqual([
      '* STATUS "Sent Items" (MESSAGES 0)',
      'a3 OK STATUS completed.',
    ]);
  });

  it('survives garbage and an over-long line, and keeps serving', async () => {
    const server = await start();
    const raw = await connect(server);
    await raw.next();
    raw.socket.write(Buffer.from([0x00, 0xff, 0x28, 0x22, 0x0d, 0x0a]));
    expect(await raw.next()).toBe('* BAD Command Error. 10');
    expect(await raw.cmd('a1', 'ID ("unterminated')).toEqual(['a1 BAD Command Argument Error. 11']);
    raw.socket.write('a2 NOOP ' + 'x'.repeat(70 * 1024));
    expect(await raw.next()).toBe('* BYE Command line too long.');
    await raw.closed;
    const { reply } = await login(server);
    expect(reply).toEqual(['a1 OK AUTHENTICATE completed.']);
  });
});

describe('token decisions (the command fails: NO, no error challenge)', () => {
  it.each([
    ['a bad signature', () => token({}, intruder.privateKey)],
    ['an expired token', () => token({ exp: Math.floor(Date.now() / 1000) - 60 })],
    ['no IMAP.AccessAsApp role', () => token({ roles: ['Mail.Read'] })],
    ['an app that is not an Exchange service principal', () => token({ appid: '00000000-0000-4000-8000-00000000dead' })],
  ])('%s', async (_name, makeToken) => {
    const server = await start();
    const { raw, reply } = await login(server, UPN, makeToken());
    expect(reply).toEqual(['a1 NO AUTHENTICATE failed.']);
    expect(await raw.cmd('a2', 'NAMESPACE')).toEqual(['a2 BAD Command received in Invalid state.']);
    expect(server.sessions[0]!.authenticated).toBe(false);
  });

  it('a malformed XOAUTH2 payload', async () => {
    const raw = await connect(await start());
    await raw.next();
    const notXoauth2 = Buffer.from(`user=${UPN}\x01auth=${token()}\x01\x01`).toString('base64'); // no "Bearer "
    expect(await raw.cmd('a1', `AUTHENTICATE XOAUTH2 ${notXoauth2}`)).toEqual(['a1 NO AUTHENTICATE failed.']);
    expect(await raw.cmd('a2', 'AUTHENTICATE XOAUTH2 ###')).toEqual(['a2 NO AUTHENTICATE failed.']);
  });
});

describe('mailbox decisions (OK, then "not connected")', () => {
  it.each([
    ['no FullAccess for the service principal', 'noaccess@contoso.onmicrosoft.com'],
    ['IMAP disabled on the mailbox', 'noimap@contoso.onmicrosoft.com'],
    ['a mailbox that does not exist', 'nobody@contoso.onmicrosoft.com'],
  ])('%s', async (_name, user) => {
    const server = await start();
    const { raw, reply } = await login(server, user);
    expect(reply).toEqual(['a1 OK AUTHENTICATE completed.']);
    expect(await raw.cmd('a2', 'NOOP')).toEqual(['a2 OK NOOP completed.']);
    expect((await raw.cmd('a3', 'CAPABILITY')).at(-1)).toBe('a3 OK CAPABILITY completed.');
    expect(await raw.cmd('a4', 'NAMESPACE')).toEqual(['a4 BAD User is authenticated but not connected.']);
    // The second refused command: BAD, then Exchange's BYE, then the connection closes.
    expect(await raw.cmd('a5', 'EXAMINE INBOX')).toEqual(['a5 BAD User is authenticated but not connected.']);
    expect(await raw.next()).toBe('* BYE Connection closed. 14');
    await raw.closed;
    expect(server.sessions[0]).toMatchObject({ authenticated: true, user });
  });

  it('LOGOUT still works after one "not connected" answer', async () => {
    const { raw } = await login(await start(), 'noaccess@contoso.onmicrosoft.com');
    expect(await raw.cmd('a2', 'EXAMINE INBOX')).toEqual(['a2 BAD User is authenticated but not connected.']);
    expect((await raw.cmd('a3', 'LOGOUT')).at(-1)).toBe('a3 OK LOGOUT completed.');
  });

  it('imapflow reports it as an authentication failure', async () => {
    const server = await start();
    const client = imapflow(server, 'noaccess@contoso.onmicrosoft.com');
    await expect(client.connect()).rejects.toMatchObject({ authenticationFailed: true });
    expect(server.sessions[0]!.authenticated).toBe(true);
  });
});

/** A delegated (device code / auth code) v1 token for USER_UPN: `scp`, `upn`, no `roles`, public client. */
function userToken(claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    { alg: 'RS256', typ: 'JWT', kid: 'k1' },
    {
      aud: DELEGATED_AUD,
      appid: '0d0d0d0d-0000-4000-8000-0000000000d4', // not an Exchange service principal: not needed
      appidacr: '0',
      oid: USER_OID,
      scp: 'IMAP.AccessAsUser.All',
      upn: USER_UPN,
      unique_name: USER_UPN,
      iat: now,
      nbf: now,
      exp: now + 3600,
      ...claims,
    },
    signing.privateKey,
  );
}

describe('delegated tokens (scp IMAP.AccessAsUser.All)', () => {
  it.each([
    ['the signed-in user\'s own mailbox', USER_UPN, 3],
    ['a shared mailbox whose FullAccess lists the user', 'team@contoso.onmicrosoft.com', 2],
  ])('opens %s', async (_name, user, count) => {
    const server = await start();
    const { raw, reply } = await login(server, user, userToken({ scp: 'IMAP.AccessAsUser.All SMTP.Send' }));
    expect(reply).toEqual(['a1 OK AUTHENTICATE completed.']);
    expect((await raw.cmd('a2', 'EXAMINE INBOX'))[0]).toBe(`* ${count} EXISTS`);
    expect(server.sessions[0]).toMatchObject({ authenticated: true, user });
  });

  it('imapflow logs in to the user\'s mailbox (UPN compared case-insensitively)', async () => {
    const server = await start();
    const client = imapflow(server, USER_UPN.toUpperCase(), userToken());
    await client.connect();
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    expect(client.mailbox && client.mailbox.exists).toBe(3);
    lock.release();
    await client.logout();
  });

  it.each([
    ['scp without IMAP.AccessAsUser.All', () => userToken({ scp: 'Mail.Read User.Read' })],
    ['scp but no upn', () => userToken({ upn: undefined })],
  ])('NO for %s', async (_name, makeToken) => {
    const server = await start();
    const { raw, reply } = await login(server, USER_UPN, makeToken());
    expect(reply).toEqual(['a1 NO AUTHENTICATE failed.']);
    expect(await raw.cmd('a2', 'NAMESPACE')).toEqual(['a2 BAD Command received in Invalid state.']);
  });

  it.each([
    ['a mailbox the user has no FullAccess to', 'shared@contoso.onmicrosoft.com'],
    ['a mailbox with IMAP disabled', 'noimap@contoso.onmicrosoft.com'],
    ['a mailbox that does not exist', 'nobody@contoso.onmicrosoft.com'],
  ])('OK, then not connected, for %s', async (_name, user) => {
    const server = await start();
    const { raw, reply } = await login(server, user, userToken());
    expect(reply).toEqual(['a1 OK AUTHENTICATE completed.']);
    expect(await raw.cmd('a2', 'EXAMINE INBOX')).toEqual(['a2 BAD User is authenticated but not connected.']);
  });

  it('an app-only token still needs its role even with the user\'s oid in FullAccess', async () => {
    const server = await start();
    const { reply } = await login(server, 'team@contoso.onmicrosoft.com', token({ oid: USER_OID, roles: undefined }));
    expect(reply).toEqual(['a1 NO AUTHENTICATE failed.']);
  });
});

describe('faults', () => {
  it('hang-at-greeting: TLS completes, no bytes follow', async () => {
    const raw = await connect(await start({ fault: 'hang-at-greeting' }));
    await silentFor(raw, 300);
    expect(raw.received().length).toBe(0);
  });

  it('bye-at-greeting', async () => {
    const raw = await connect(await start({ fault: 'bye-at-greeting' }));
    expect(await raw.next()).toBe('* BYE Connection refused');
    await raw.closed;
  });

  it('garbage', async () => {
    const raw = await connect(await start({ fault: 'garbage' }));
    await raw.closed;
    const bytes = raw.received();
    expect(bytes.length).toBeGreaterThan(16);
    expect(bytes[0]).toBe(0);
  });

  it('no-xoauth2', async () => {
    const server = await start({ fault: 'no-xoauth2' });
    const raw = await connect(server);
    await raw.next();
    const [caps] = await raw.cmd('c1', 'CAPABILITY');
    expect(caps).toContain('AUTH=PLAIN');
    expect(caps).not.toContain('XOAUTH2');
    expect(await raw.cmd('a1', `AUTHENTICATE XOAUTH2 ${xoauth2(UPN, token())}`)).toEqual(['a1 BAD Command Argument Error. 11']);
    await expect(imapflow(server).connect()).rejects.toThrow(/Unsupported authentication mechanism/);
  });

  it('close-mid-authenticate', async () => {
    const server = await start({ fault: 'close-mid-authenticate' });
    const raw = await connect(server);
    await raw.next();
    raw.send(`a1 AUTHENTICATE XOAUTH2 ${xoauth2(UPN, token())}`);
    await expect(raw.next()).rejects.toThrow('closed');
    expect(server.sessions[0]!.commands).toEqual(['a1 AUTHENTICATE XOAUTH2 <redacted>']);
  });

  it('error-challenge: NO only after the client answers the challenge', async () => {
    const server = await start({ fault: 'error-challenge' });
    const { raw, reply } = await login(server);
    expect(reply).toHaveLength(1);
    const challenge = JSON.parse(Buffer.from(reply[0]!.slice(2), 'base64').toString('utf8'));
    expect(challenge).toEqual({ status: '401', schemes: 'bearer', scope: 'https://outlook.office365.com/.default' });
    await silentFor(raw, 200); // the server waits for the client's answer
    raw.send('');
    expect(await raw.next()).toBe('a1 NO AUTHENTICATE failed.');
    expect(server.sessions[0]!.commands).toEqual(['a1 AUTHENTICATE XOAUTH2 <redacted>', '']);

    const client = imapflow(server);
    await expect(client.connect()).rejects.toMatchObject({ authenticationFailed: true, oauthError: challenge });
  });

  it('untagged-bad', async () => {
    const { reply } = await login(await start({ fault: 'untagged-bad' }));
    expect(reply).toEqual(['* BAD Command Error. 10', 'a1 BAD Command Error. 10']);
  });

  it('ok-then-bad: OK whatever the token, then BAD to everything but LOGOUT', async () => {
    const { raw, reply } = await login(await start({ fault: 'ok-then-bad' }), UPN, token({}, intruder.privateKey));
    expect(reply).toEqual(['a1 OK AUTHENTICATE completed.']);
    expect(await raw.cmd('a2', 'CAPABILITY')).toEqual(['a2 BAD User is authenticated but not connected.']);
    expect((await raw.cmd('a3', 'LOGOUT')).at(-1)).toBe('a3 OK LOGOUT completed.');
  });

  it('bye-after-auth', async () => {
    const { raw, reply } = await login(await start({ fault: 'bye-after-auth' }));
    expect(reply).toEqual(['a1 OK AUTHENTICATE completed.']);
    raw.send('a2 NAMESPACE');
    expect(await raw.next()).toBe('* BYE Connection is closed. 13');
    await raw.closed;
  });

  it('hang-after-auth', async () => {
    const server = await start({ fault: 'hang-after-auth' });
    const { raw, reply } = await login(server);
    expect(reply).toEqual(['a1 OK AUTHENTICATE completed.']);
    raw.send('a2 NAMESPACE');
    await silentFor(raw, 300);
    expect(server.sessions[0]!.commands.at(-1)).toBe('a2 NAMESPACE');
  });

  it('reject-auth, and setFault applies to new connections only', async () => {
    const server = await start();
    const before = await connect(server);
    await before.next();
    server.setFault('reject-auth');
    expect((await login(server)).reply).toEqual(['a1 NO AUTHENTICATE failed.']);
    expect(await before.cmd('a1', `AUTHENTICATE XOAUTH2 ${xoauth2(UPN, token())}`)).toEqual(['a1 OK AUTHENTICATE completed.']);
    server.setFault(null);
    expect((await login(server)).reply).toEqual(['a1 OK AUTHENTICATE completed.']);
  });

  it('close() is prompt with hung sessions open', async () => {
    const server = await start({ fault: 'hang-at-greeting' });
    const hung = await Promise.all([connect(server), connect(server)]);
    server.setFault('hang-after-auth');
    hung.push((await login(server)).raw);
    await server.close();
    await Promise.all(hung.map((r) => r.closed));
  });
});
