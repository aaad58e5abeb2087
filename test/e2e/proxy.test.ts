// Proxies, end to end: a real tinyproxy on loopback carries the token request (our own CONNECT
// tunnel under MSAL) and the IMAP connection (imapflow's proxy option) to the identity stand-in
// and a real Dovecot; NO_PROXY exempts hosts; a dead proxy, a 407 and a 403 get their own findings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeak, runCli } from '../support/cli.js';
import { startE2eWorld, type E2eWorld } from '../support/e2e-world.js';
import { startMicrosocks, type Microsocks } from '../support/microsocks.js';
import { freePort, startTinyproxy, type Tinyproxy } from '../support/tinyproxy.js';

let world: E2eWorld;
let open: Tinyproxy;
let authed: Tinyproxy;
let noImap: Tinyproxy;
let socks: Microsocks;
let deadProxy: string;
let identityHostPort: string;
let imapHostPort: string;
const PROXY_USER = 'carol';
const PROXY_PASSWORD = `pw-${Math.random().toString(36).slice(2)}-proxy`;

beforeAll(async () => {
  world = await startE2eWorld();
  const identity = new URL(world.identity.url);
  identityHostPort = `${identity.hostname}:${identity.port}`;
  imapHostPort = `${world.dovecot.host}:${world.dovecot.port}`;
  const ports = [Number(identity.port), world.dovecot.port];
  [open, authed, noImap] = await Promise.all([
    startTinyproxy({ connectPorts: ports }),
    startTinyproxy({ connectPorts: ports, basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD } }),
    startTinyproxy({ connectPorts: [Number(identity.port)] }),
  ]);
  deadProxy = `http://127.0.0.1:${await freePort()}`;
  socks = await startMicrosocks({ user: PROXY_USER, password: PROXY_PASSWORD });
});

afterAll(async () => {
  await Promise.all([open?.stop(), authed?.stop(), noImap?.stop(), socks?.stop(), world?.close()]);
});

const run = (env: Record<string, string>, ...extra: string[]) =>
  runCli(world.args('--json', ...extra), { env: { IMAP_OAUTH_CLIENT_SECRET: world.secret, ...env } });

function expectNoLeak(r: { stdout: string; stderr: string }) {
  expect(findLeak([r.stdout, r.stderr], [world.secret, PROXY_PASSWORD])).toBeNull();
}

describe('through tinyproxy', () => {
  it('HTTPS_PROXY carries the token request and ALL_PROXY the IMAP connection, loopback included', async () => {
    const before = open.connects().length;
    const r = await run({ HTTPS_PROXY: open.url, ALL_PROXY: open.url });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).ok).toBe(true);
    // tinyproxy saw both tunnels: the token endpoint's and Dovecot's.
    expect(open.connects().slice(before)).toEqual(expect.arrayContaining([identityHostPort, imapHostPort]));
    expectNoLeak(r);
  });

  it('TLS is verified inside the tunnel: without the test CA the token request fails on the certificate', async () => {
    const args = world.args('--json');
    const at = args.indexOf('--ca-file');
    args.splice(at, 2);
    const before = open.connects().length;
    const r = await runCli(args, { env: { IMAP_OAUTH_CLIENT_SECRET: world.secret, HTTPS_PROXY: open.url } });
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(open.connects().slice(before)).toContain(identityHostPort);
    expect(JSON.parse(r.stdout).token.error.message).toMatch(/certificate/i);
  });

  it('--proxy serves both connections', async () => {
    const before = open.connects().length;
    const r = await run({}, '--proxy', open.url);
    expect(r.code, r.stderr).toBe(0);
    expect(open.connects().slice(before)).toEqual(expect.arrayContaining([identityHostPort, imapHostPort]));
  });

  it('NO_PROXY exempts the hosts it lists: a dead proxy is then never asked', async () => {
    const r = await run({ HTTPS_PROXY: deadProxy, ALL_PROXY: deadProxy, NO_PROXY: `${new URL(world.identity.url).hostname},${world.dovecot.host}` });
    expect(r.code, r.stderr).toBe(0);
  });

  it('credentials in the URL answer the 407, and the password appears nowhere', async () => {
    const url = `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${authed.port}`;
    const before = authed.connects().length;
    const r = await run({ IMAP_OAUTH_PROXY: url }, '--verbose');
    expect(r.code, r.stderr).toBe(0);
    expect(authed.connects().slice(before)).toEqual(expect.arrayContaining([identityHostPort, imapHostPort]));
    expectNoLeak(r);
    const human = await runCli(world.args('--verbose'), { env: { IMAP_OAUTH_CLIENT_SECRET: world.secret, IMAP_OAUTH_PROXY: url } });
    expect(human.code, human.stderr).toBe(0);
    expectNoLeak(human);
  });
});

describe('through a SOCKS5 proxy (microsocks, with a password)', () => {
  it('socks5:// with credentials carries the token request (our client) and IMAP (imapflow)', async () => {
    // microsocks keeps no log on a pipe: that it is used shows in the runs below, refused without the password.
    const r = await run({ IMAP_OAUTH_PROXY: `socks5://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${socks.port}` });
    expect(r.code, r.stderr).toBe(0);
    expectNoLeak(r);
  });

  it('without the credentials the token request is refused by it: exit 3, proxy-auth-required', async () => {
    const r = await run({ HTTPS_PROXY: `socks5://127.0.0.1:${socks.port}` });
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(JSON.parse(r.stdout).results[0].diagnosis.map((d: { id: string }) => d.id)).toEqual(['proxy-auth-required']);
  });

  it('without the credentials IMAP is refused by it: exit 4, proxy-auth-required', async () => {
    const r = await run({ ALL_PROXY: `socks5://127.0.0.1:${socks.port}`, NO_PROXY: new URL(world.identity.url).hostname });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(JSON.parse(r.stdout).results[0].diagnosis.map((d: { id: string }) => d.id)).toEqual(['proxy-auth-required']);
  });
});

describe('a failing proxy gets its own finding', () => {
  it('a dead proxy for the token endpoint: exit 3, proxy-unreachable naming it', async () => {
    const r = await run({ HTTPS_PROXY: deadProxy });
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.token.error.proxy).toMatchObject({ kind: 'unreachable', proxy: deadProxy, origin: 'HTTPS_PROXY' });
    expect(doc.results[0].diagnosis.map((d: { id: string }) => d.id)).toEqual(['proxy-unreachable']);
    expect(doc.results[0].diagnosis[0].summary).toContain(deadProxy);
  });

  it('a dead proxy for the mail connection: exit 4, proxy-unreachable, not "connection refused" by the server', async () => {
    const r = await run({ ALL_PROXY: deadProxy, NO_PROXY: new URL(world.identity.url).hostname });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const result = JSON.parse(r.stdout).results[0];
    expect(result.diagnosis.map((d: { id: string }) => d.id)).toEqual(['proxy-unreachable']);
    expect(result.stages.find((s: { ok: boolean }) => !s.ok).detail).toContain(deadProxy);
  });

  it('407 without credentials: exit 3, proxy-auth-required', async () => {
    const r = await run({ HTTPS_PROXY: authed.url, ALL_PROXY: authed.url });
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.token.error.proxy, r.stdout).toMatchObject({ kind: 'auth-required', status: 407 });
    expect(doc.results[0].diagnosis.map((d: { id: string }) => d.id)).toEqual(['proxy-auth-required']);
  });

  it('407 on the IMAP connection: exit 4, proxy-auth-required', async () => {
    const r = await run({ HTTPS_PROXY: open.url, ALL_PROXY: authed.url });
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const result = JSON.parse(r.stdout).results[0];
    expect(result.diagnosis.map((d: { id: string }) => d.id)).toEqual(['proxy-auth-required']);
  });

  it('a proxy that forbids the IMAP port (403): exit 4, proxy-refused naming the destination', async () => {
    const r = await run({}, '--proxy', noImap.url);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const result = JSON.parse(r.stdout).results[0];
    expect(result.diagnosis.map((d: { id: string }) => d.id)).toEqual(['proxy-refused']);
    expect(result.diagnosis[0].summary).toContain(imapHostPort);
    expect(noImap.connects()).toContain(imapHostPort);
  });

  it('a proxy password on the command line is refused in one line, exit 2, without echoing it', async () => {
    const r = await run({}, '--proxy', `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${authed.port}`);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expectNoLeak(r);
  });
});
