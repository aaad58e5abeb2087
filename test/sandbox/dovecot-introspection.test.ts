// A real Dovecot that checks opaque (non-JWT) bearer tokens the way Gmail does: by asking an RFC 7662
// introspection endpoint (test/support/introspection-server.ts) on every AUTHENTICATE. Raw XOAUTH2 /
// OAUTHBEARER exchanges over TLS, and what the endpoint was asked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki } from '../../src/sandbox/pki.js';
import { startDovecot, type Dovecot } from '../support/dovecot.js';
import { connectImap, type ImapLineClient } from '../support/imap-line-client.js';
import { startIntrospectionServer, type IntrospectionServer } from '../support/introspection-server.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const GMAIL_SCOPE = 'https://mail.google.com/';
/** What Dovecot 2.3.19 answers a failed XOAUTH2 login with, byte for byte (its scope is always "mail"). */
const XOAUTH2_CHALLENGE = '+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const xoauth2 = (user: string, token: string) => b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`);
const oauthbearer = (user: string, token: string) =>
  b64(`n,a=${user},\x01host=127.0.0.1\x01port=${dovecot.port}\x01auth=Bearer ${token}\x01\x01`);
const decode = (challenge: string) => JSON.parse(Buffer.from(challenge.slice(2), 'base64').toString('utf8')) as unknown;

let caPem: string;
let idp: IntrospectionServer;
let dovecot: Dovecot;
const clients: ImapLineClient[] = [];

async function connect(): Promise<ImapLineClient> {
  const c = await connectImap({ host: dovecot.host, port: dovecot.port, ca: caPem, servername: 'localhost' });
  clients.push(c);
  return c;
}

/** AUTHENTICATE that must succeed, then EXAMINE INBOX. */
async function logsIn(command: string) {
  const c = await connect();
  const auth = await c.send(command);
  expect(auth.at(-1), dovecot.log()).toMatch(/^A1 OK /);
  const examine = await c.send('EXAMINE INBOX');
  expect(examine).toContain('* 3 EXISTS');
  expect(examine.at(-1)).toMatch(/^A2 OK \[READ-ONLY\]/);
  c.close();
}

/** AUTHENTICATE that must fail: the raw error challenge, and the tagged reply after answering it. */
async function refused(command: string, answer: string) {
  const c = await connect();
  const lines = await c.send(command);
  expect(lines, dovecot.log()).toHaveLength(1);
  const challenge = lines[0]!;
  expect(challenge).toMatch(/^\+ /);
  c.sendRaw(answer);
  const after = await c.readUntilTagged();
  c.close();
  return { challenge, tagged: after.at(-1)! };
}

/** Runs `fn` and returns the introspection requests it caused. */
async function asked(fn: () => Promise<unknown>) {
  const before = idp.requests;
  await fn();
  return idp.calls.slice(before);
}

beforeAll(async () => {
  const pki = await createTestPki();
  caPem = pki.ca.certPem;
  const serverCert = await pki.issueServerCert(['localhost', '127.0.0.1']);
  idp = await startIntrospectionServer();
  dovecot = await startDovecot({
    tls: serverCert,
    introspection: { url: idp.url, clientId: idp.clientId, clientSecret: idp.clientSecret },
  });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await dovecot?.stop();
  await idp?.close();
});

describe('Dovecot with opaque tokens checked by introspection', () => {
  it('logs alice in over XOAUTH2 with her opaque token, after one POST to the endpoint', async () => {
    const token = idp.issue(ALICE);
    expect(token).toMatch(/^ya29\.[A-Za-z0-9_-]{43}$/);
    const calls = await asked(() => logsIn(`AUTHENTICATE XOAUTH2 ${xoauth2(ALICE, token)}`));
    expect(calls).toEqual([{ method: 'POST', path: '/introspect', token, status: 200, active: true }]);
  });

  it("refuses alice's token for bob, although the endpoint says it is active", async () => {
    const token = idp.issue(ALICE);
    let r!: Awaited<ReturnType<typeof refused>>;
    const calls = await asked(async () => (r = await refused(`AUTHENTICATE XOAUTH2 ${xoauth2(BOB, token)}`, '')));
    expect(calls).toEqual([{ method: 'POST', path: '/introspect', token, status: 200, active: true }]);
    expect(r.challenge).toBe(XOAUTH2_CHALLENGE);
    expect(r.tagged).toBe('A1 NO [AUTHENTICATIONFAILED] Authentication failed.');
    expect(dovecot.log()).toContain(`Username '${BOB}' did not match '${ALICE}'`);
    // The token itself is fine: alice still gets in with it.
    await logsIn(`AUTHENTICATE XOAUTH2 ${xoauth2(ALICE, token)}`);
  });

  it('refuses a revoked token at once (no auth cache), with the 401 error challenge', async () => {
    const token = idp.issue(ALICE);
    await logsIn(`AUTHENTICATE XOAUTH2 ${xoauth2(ALICE, token)}`); // known good, and cached if anything caches
    idp.revoke(token);
    let r!: Awaited<ReturnType<typeof refused>>;
    const calls = await asked(async () => (r = await refused(`AUTHENTICATE XOAUTH2 ${xoauth2(ALICE, token)}`, '')));
    // Dovecot asked again rather than trusting its earlier answer.
    expect(calls).toEqual([{ method: 'POST', path: '/introspect', token, status: 200, active: false }]);
    expect(r.challenge).toBe(XOAUTH2_CHALLENGE);
    // Gmail's challenge says "scope":"https://mail.google.com/"; Dovecot 2.3.19 always says "mail".
    expect(decode(r.challenge)).toEqual({ status: '401', schemes: 'bearer', scope: 'mail' });
    expect(r.tagged).toBe('A1 NO [AUTHENTICATIONFAILED] Authentication failed.');
  });

  it('refuses unknown and expired tokens, and a token without the mail scope', async () => {
    const unknown = `ya29.${'A'.repeat(43)}`;
    const expired = idp.issue(ALICE, { expiresIn: -60 });
    const readonly = idp.issue(ALICE, { scope: 'https://www.googleapis.com/auth/gmail.readonly' });
    for (const token of [unknown, expired, readonly]) {
      let r!: Awaited<ReturnType<typeof refused>>;
      const calls = await asked(async () => (r = await refused(`AUTHENTICATE XOAUTH2 ${xoauth2(ALICE, token)}`, '')));
      expect(calls).toEqual([{ method: 'POST', path: '/introspect', token, status: 200, active: token === readonly }]);
      expect(r.challenge).toBe(XOAUTH2_CHALLENGE);
      expect(r.tagged).toBe('A1 NO [AUTHENTICATIONFAILED] Authentication failed.');
    }
    expect(dovecot.log()).toContain(`Token is not valid for scope '${GMAIL_SCOPE}'`);
  });

  it('logs alice in over OAUTHBEARER; refuses a revoked token with invalid_token', async () => {
    const token = idp.issue(ALICE);
    const ok = await asked(() => logsIn(`AUTHENTICATE OAUTHBEARER ${oauthbearer(ALICE, token)}`));
    expect(ok).toEqual([{ method: 'POST', path: '/introspect', token, status: 200, active: true }]);

    idp.revoke(token);
    let r!: Awaited<ReturnType<typeof refused>>;
    const bad = await asked(async () => (r = await refused(`AUTHENTICATE OAUTHBEARER ${oauthbearer(ALICE, token)}`, 'AQ==')));
    expect(bad).toEqual([{ method: 'POST', path: '/introspect', token, status: 200, active: false }]);
    expect(decode(r.challenge)).toEqual({ status: 'invalid_token' });
    expect(r.tagged).toBe('A1 NO [AUTHENTICATIONFAILED] Authentication failed.');
  });

  it('every login so far was one authenticated introspection request, nothing else', () => {
    // 1 + 2 + 2 + 3 + 2 logins in the tests above.
    expect(idp.requests).toBe(10);
    expect(idp.calls.every((c) => c.method === 'POST' && c.status === 200 && c.token?.startsWith('ya29.'))).toBe(true);
  });
});

describe('the introspection endpoint on its own', () => {
  let server: IntrospectionServer;
  beforeAll(async () => {
    server = await startIntrospectionServer();
  });
  afterAll(async () => server?.close());

  const post = (body: string, type = 'application/x-www-form-urlencoded') =>
    fetch(server.url, { method: 'POST', headers: { 'content-type': type }, body });
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const creds = () => ({ client_id: server.clientId, client_secret: server.clientSecret });

  it('answers an active token with RFC 7662 members, anything else with {"active":false}', async () => {
    const token = server.issue('carol@example.com', { scope: 'a b' });
    const res = await post(form({ token, ...creds() }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ active: true, username: 'carol@example.com', email: 'carol@example.com', scope: 'a b', token_type: 'Bearer' });
    expect(body.exp).toBe((body.iat as number) + 3600);

    server.revoke(token);
    server.revoke('never-issued'); // ignored
    for (const t of [token, 'never-issued']) {
      const r = await post(form({ token: t, ...creds() }));
      expect(await r.json()).toEqual({ active: false });
    }
  });

  it('refuses what Dovecot would never send, and keeps serving', async () => {
    const token = server.issue('carol@example.com');
    const cases: Array<[() => Promise<Response>, number, string]> = [
      [() => post(form({ token })), 401, 'invalid_client'],
      [() => post(form({ token, client_id: server.clientId, client_secret: 'wrong' })), 401, 'invalid_client'],
      [() => post(form(creds())), 400, 'invalid_request'],
      [() => post(JSON.stringify({ token, ...creds() }), 'application/json'), 400, 'invalid_request'],
      [() => post(`token=${'x'.repeat(70_000)}`), 413, 'invalid_request'],
      [() => fetch(`${server.url}?token=${token}`), 405, 'invalid_request'],
      [() => fetch(server.url.replace('/introspect', '/other'), { method: 'POST' }), 404, 'not_found'],
    ];
    for (const [request, status, error] of cases) {
      const res = await request();
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: string }).error).toBe(error);
    }
    const ok = await post(form({ token, ...creds() }));
    expect(((await ok.json()) as { active: boolean }).active).toBe(true);
    expect(server.calls.filter((c) => c.status !== 200).map((c) => c.error)).toEqual([
      'invalid_client', 'invalid_client', 'invalid_request', 'invalid_request', 'invalid_request', 'invalid_request', 'not_found',
    ]);
  });

  it('close() ends kept-alive connections and can be called twice', async () => {
    const other = await startIntrospectionServer();
    const res = await fetch(other.url, { method: 'POST', headers: { connection: 'keep-alive' }, body: '' });
    await res.arrayBuffer();
    await other.close();
    await other.close();
    await expect(fetch(other.url, { method: 'POST' })).rejects.toThrow();
  });
});
