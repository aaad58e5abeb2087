// Proves the Dovecot harness: real XOAUTH2 / OAUTHBEARER exchanges over a raw TLS socket.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../../src/sandbox/jwt.js';
import { createTestPki, type KeyAndCert } from '../../src/sandbox/pki.js';
import { startDovecot, type Dovecot } from '../support/dovecot.js';
import { connectImap, type ImapLineClient } from '../support/imap-line-client.js';

const AUDIENCE = 'https://outlook.office365.com';
const TENANT = randomUUID();
const ISSUER = `https://sts.windows.net/${TENANT}/`;
const KID = 'test-key/1'; // a `/` exercises the key file name escaping

function rsaKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

const signer = rsaKeys();
const otherSigner = rsaKeys();

/** An Entra-like app-only access token. */
function appToken(opts: { privateKeyPem?: string; expiresIn?: number } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const appid = randomUUID();
  const oid = randomUUID();
  return signJwt(
    { alg: 'RS256', typ: 'JWT', kid: KID },
    {
      aud: AUDIENCE,
      iss: ISSUER,
      iat: now - 5,
      nbf: now - 5,
      exp: now + (opts.expiresIn ?? 3600),
      sub: oid,
      oid,
      tid: TENANT,
      appid,
      roles: ['IMAP.AccessAsApp'],
      ver: '1.0',
    },
    opts.privateKeyPem ?? signer.privateKeyPem,
  );
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const xoauth2 = (user: string, token: string) => b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`);

let pki: Awaited<ReturnType<typeof createTestPki>>;
let serverCert: KeyAndCert;
let dovecot: Dovecot;
const clients: ImapLineClient[] = [];

async function connect(server: Dovecot = dovecot): Promise<ImapLineClient> {
  const c = await connectImap({ host: server.host, port: server.port, ca: pki.ca.certPem, servername: 'localhost' });
  clients.push(c);
  return c;
}

function start() {
  return startDovecot({
    tls: serverCert,
    jwtKeys: [{ kid: KID, publicKeyPem: signer.publicKeyPem }],
    audience: AUDIENCE,
    issuers: [ISSUER],
  });
}

/** Runs a rejected AUTHENTICATE: returns the decoded error challenge and the tagged reply. */
async function rejected(c: ImapLineClient, command: string, answer: string) {
  const t0 = performance.now();
  const lines = await c.send(command);
  const challenge = lines.at(-1)!;
  expect(challenge).toMatch(/^\+ /);
  c.sendRaw(answer);
  const tagged = (await c.readUntilTagged()).at(-1)!;
  const ms = performance.now() - t0;
  return { json: JSON.parse(Buffer.from(challenge.slice(2), 'base64').toString('utf8')) as Record<string, string>, tagged, ms };
}

beforeAll(async () => {
  pki = await createTestPki();
  serverCert = await pki.issueServerCert(['localhost', '127.0.0.1']);
  const t0 = performance.now();
  dovecot = await start();
  console.log(`dovecot ready on ${dovecot.host}:${dovecot.port} in ${(performance.now() - t0).toFixed(0)} ms`);
});

afterAll(async () => {
  for (const c of clients) c.close();
  if (dovecot) {
    const t0 = performance.now();
    await dovecot.stop();
    console.log(`dovecot stopped in ${(performance.now() - t0).toFixed(0)} ms`);
  }
});

describe('Dovecot harness', () => {
  it('(a) accepts a valid app-only token over XOAUTH2, shows INBOX, logs out', async () => {
    const c = await connect();
    expect(c.socket.authorized).toBe(true);
    expect(c.greeting).toMatch(/^\* OK /);
    expect(c.greeting).toContain('AUTH=XOAUTH2');

    const auth = await c.send(`AUTHENTICATE XOAUTH2 ${xoauth2('someone@contoso.com', appToken())}`);
    expect(auth.at(-1), dovecot.log()).toMatch(/^A\d+ OK /);

    const examine = await c.send('EXAMINE INBOX');
    expect(examine).toContain('* 3 EXISTS');
    expect(examine.at(-1)).toMatch(/^A\d+ OK \[READ-ONLY\]/);

    const logout = await c.send('LOGOUT');
    expect(logout[0]).toMatch(/^\* BYE/);
    expect(logout.at(-1)).toMatch(/^A\d+ OK/);
  });

  it('(b, e) rejects a token signed by another key with a 401 challenge, quickly', async () => {
    const c = await connect();
    const r = await rejected(
      c,
      `AUTHENTICATE XOAUTH2 ${xoauth2('someone@contoso.com', appToken({ privateKeyPem: otherSigner.privateKeyPem }))}`,
      '',
    );
    console.log(`(e) XOAUTH2 rejection took ${r.ms.toFixed(0)} ms`);
    expect(r.json.status).toBe('401');
    expect(r.tagged).toMatch(/^A\d+ NO \[AUTHENTICATIONFAILED\]/);
  });

  it('(c) rejects an expired token the same way', async () => {
    const c = await connect();
    const r = await rejected(c, `AUTHENTICATE XOAUTH2 ${xoauth2('someone@contoso.com', appToken({ expiresIn: -60 }))}`, '');
    console.log(`(e) expired-token rejection took ${r.ms.toFixed(0)} ms`);
    expect(r.json.status).toBe('401');
    expect(r.tagged).toMatch(/^A\d+ NO \[AUTHENTICATIONFAILED\]/);
  });

  it('(d) accepts OAUTHBEARER, and rejects a bad token with invalid_token', async () => {
    const bearer = (token: string) =>
      b64(`n,a=someone@contoso.com,\x01host=localhost\x01port=${dovecot.port}\x01auth=Bearer ${token}\x01\x01`);
    const c = await connect();
    expect(c.greeting).toContain('AUTH=OAUTHBEARER');
    const ok = await c.send(`AUTHENTICATE OAUTHBEARER ${bearer(appToken())}`);
    expect(ok.at(-1), dovecot.log()).toMatch(/^A\d+ OK /);
    expect(await c.send('EXAMINE INBOX')).toContain('* 3 EXISTS');

    const bad = await connect();
    const r = await rejected(bad, `AUTHENTICATE OAUTHBEARER ${bearer(appToken({ expiresIn: -60 }))}`, 'AQ==');
    console.log(`(e) OAUTHBEARER rejection took ${r.ms.toFixed(0)} ms`);
    expect(r.json.status).toBe('invalid_token');
    expect(r.tagged).toMatch(/^A\d+ NO \[AUTHENTICATIONFAILED\]/);
  });

  it('(f) runs two instances side by side; stop() leaves nothing behind', async () => {
    const t0 = performance.now();
    const [one, two] = await Promise.all([start(), start()]);
    console.log(`(f) two more instances ready in ${(performance.now() - t0).toFixed(0)} ms`);
    let pids: number[] = [];
    try {
      pids = [...processTree(one), ...processTree(two)];
      expect(pids.length).toBeGreaterThanOrEqual(4); // two masters with their anvil, log, config, auth ...
      expect(one.port).not.toBe(two.port);
      expect(new Set([one.port, two.port, dovecot.port]).size).toBe(3);
      for (const server of [one, two]) {
        const c = await connect(server);
        const auth = await c.send(`AUTHENTICATE XOAUTH2 ${xoauth2('other@contoso.com', appToken())}`);
        expect(auth.at(-1), server.log()).toMatch(/^A\d+ OK /);
        expect(await c.send('EXAMINE INBOX')).toContain('* 3 EXISTS');
        c.close();
      }
    } finally {
      const t1 = performance.now();
      await Promise.all([one.stop(), two.stop()]);
      console.log(`(f) both stopped in ${(performance.now() - t1).toFixed(0)} ms`);
      await one.stop(); // idempotent
    }
    expect(pids.filter(isRunning)).toEqual([]);
    expect(existsSync(one.dir) || existsSync(two.dir)).toBe(false);
    expect(one.log()).toContain('starting up'); // the log survives stop() for post-mortems
  });
});

/** The master (from base_dir/master.pid) and its direct children. */
function processTree(server: Dovecot): number[] {
  const master = Number(readFileSync(`${server.dir}/run/master.pid`, 'utf8').trim());
  const children = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return [master, ...children.map(Number)];
}

/** True while the process exists and is not a zombie (an exited child not yet reaped counts as gone). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
