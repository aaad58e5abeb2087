// Which proxy a connection uses, NO_PROXY as curl reads it, proxy URLs and their secrets, and the
// findings a failed proxy gets.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/diagnose/index.js';
import { exampleContext } from '../../src/diagnose/examples.js';
import { RULES } from '../../src/diagnose/index.js';
import { matchesNoProxy, parseNoProxy } from '../../src/net/no-proxy.js';
import { connectThroughProxy, displayUrl, parseProxy, ProxyError, proxyConfig, proxyFailureOf, proxyFor, resolveProxySettings } from '../../src/net/proxy.js';
import { ConfigError } from '../../src/errors.js';

describe('NO_PROXY', () => {
  const rules = parseNoProxy(' contoso.com, .fabrikam.com ,10.0.0.0/8 [::1]:993,localhost:8443,*.example.org');
  it.each([
    ['contoso.com', 443, true],
    ['imap.contoso.com', 993, true],
    ['CONTOSO.COM.', 993, true],
    ['notcontoso.com', 443, false],
    ['fabrikam.com', 443, true],
    ['login.fabrikam.com', 443, true],
    ['10.1.2.3', 993, true],
    ['11.1.2.3', 993, false],
    ['::1', 993, true],
    ['[::1]', 993, true],
    ['::1', 143, false],
    ['localhost', 8443, true],
    ['localhost', 993, false],
    ['a.example.org', 443, true],
    ['127.0.0.1', 993, false], // loopback is not exempt unless listed
    ['outlook.office365.com', 993, false],
  ])('%s:%i exempt: %s', (host, port, expected) => {
    expect(matchesNoProxy(rules, host, port)).toBe(expected);
  });
  it('* exempts everything; an empty list nothing', () => {
    expect(matchesNoProxy(parseNoProxy('*'), 'outlook.office365.com', 993)).toBe(true);
    expect(matchesNoProxy(parseNoProxy(''), 'localhost', 993)).toBe(false);
  });
});

describe('proxy settings', () => {
  it('--proxy serves both connections; otherwise HTTPS_PROXY the token endpoint, ALL_PROXY the mail connection', () => {
    const both = resolveProxySettings({ value: 'http://p:3128', origin: '--proxy' }, { HTTPS_PROXY: 'http://other:1' });
    expect([both.token?.display, both.mail?.display]).toEqual(['http://p:3128', 'http://p:3128']);
    const env = resolveProxySettings(undefined, { HTTPS_PROXY: 'http://h:3128', ALL_PROXY: 'socks5://s:1080' });
    expect([env.token?.origin, env.mail?.origin]).toEqual(['HTTPS_PROXY', 'ALL_PROXY']);
    const lower = resolveProxySettings(undefined, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' });
    expect(lower.token?.display).toBe('http://lower:1');
    // ALL_PROXY also carries HTTPS when no HTTPS_PROXY is set, as in curl.
    expect(resolveProxySettings(undefined, { ALL_PROXY: 'http://a:3128' }).token?.origin).toBe('ALL_PROXY');
    expect(resolveProxySettings(undefined, {})).toEqual({ noProxy: [] });
  });

  it('NO_PROXY exempts by host and port; loopback only when listed', () => {
    const s = resolveProxySettings(undefined, { HTTPS_PROXY: 'http://p:3128', ALL_PROXY: 'http://p:3128', NO_PROXY: 'localhost' });
    expect(proxyFor(s, 'token', 'localhost', 8443)).toBeUndefined();
    expect(proxyFor(s, 'mail', '127.0.0.1', 993)?.display).toBe('http://p:3128');
  });

  it('a bare host:port is http://; a default port is shown', () => {
    expect(parseProxy('proxy.contoso.com:8080', 'HTTPS_PROXY').display).toBe('http://proxy.contoso.com:8080');
    expect(displayUrl(new URL('http://proxy'))).toBe('http://proxy:80');
  });

  it('refuses an unsupported scheme, a bad URL (without echoing it) and SOCKS4 for the token endpoint', () => {
    expect(() => parseProxy('ftp://p:21', 'ALL_PROXY')).toThrow(/ftp:\/\/ is not supported/);
    let message = '';
    try {
      parseProxy('http://user:hunter2secret@[bad', 'HTTPS_PROXY');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/HTTPS_PROXY is not a proxy URL/);
    expect(message).not.toContain('hunter2secret');
    expect(() => resolveProxySettings(undefined, { ALL_PROXY: 'socks4://s:1080' })).toThrow(ConfigError);
  });

  it('the password is registered as a secret and never shown; on the command line it is refused', () => {
    const secrets: string[] = [];
    const s = proxyConfig({ value: 'http://alice:p%40ss-w0rd@p:3128', origin: 'IMAP_OAUTH_PROXY' }, { HTTPS_PROXY: 'http://bob:other-secret@q:3128' }, (v) => secrets.push(v));
    expect(secrets).toEqual(expect.arrayContaining(['p%40ss-w0rd', 'p@ss-w0rd', 'other-secret']));
    expect(s.token?.display).toBe('http://alice@p:3128');
    expect(JSON.stringify({ display: s.token?.display, origin: s.token?.origin })).not.toContain('w0rd');
    expect(() => proxyConfig({ value: 'http://alice:pw-on-argv@p:3128', origin: '--proxy' }, {}, () => undefined)).toThrow(/never accepted on the command line/);
  });
});

describe("imapflow's proxy errors", () => {
  const proxy = parseProxy('http://p:3128', 'ALL_PROXY');
  const wrap = (inner: Record<string, unknown>) => Object.assign(new Error('Failed to setup proxy connection'), { code: inner.code ?? 'EPROXY', _err: inner });
  it.each([
    [wrap({ message: 'Invalid response from proxy: 407', code: 'EPROXY' }), 'auth-required', 407],
    // Wrong credentials: tinyproxy answers 401, not 407.
    [wrap({ message: 'Invalid response from proxy: 401', code: 'EPROXY' }), 'auth-required', 401],
    [wrap({ message: 'Invalid response from proxy: 403', code: 'EPROXY' }), 'refused', 403],
    [wrap({ message: 'connect ECONNREFUSED 127.0.0.1:3128', code: 'ECONNREFUSED' }), 'unreachable', undefined],
    [wrap({ message: 'Proxy closed the connection before the tunnel was established', code: 'EPROXY' }), 'refused', undefined],
  ])('%s → %s', (err, kind, status) => {
    const f = proxyFailureOf(err, proxy, 'outlook.office365.com', 993)!;
    expect(f.kind).toBe(kind);
    expect(f.status).toBe(status);
    expect(f.target).toBe('outlook.office365.com:993');
    expect(f.message).toContain('http://p:3128 (ALL_PROXY)');
  });
  it('any other error is not a proxy failure', () => {
    expect(proxyFailureOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), proxy, 'h', 993)).toBeUndefined();
  });
});

describe('proxy findings', () => {
  for (const id of ['proxy-unreachable', 'proxy-auth-required', 'proxy-refused']) {
    it(`${id} is the one finding, naming the proxy and where it was set`, () => {
      const ctx = exampleContext(RULES.find((r) => r.id === id)!)!;
      const found = diagnose(ctx);
      expect(found.map((d) => d.id)).toEqual([id]);
      expect(found[0]!.summary).toContain('http://proxy.contoso.com:3128');
      expect(found[0]!.summary).toMatch(/from (HTTPS_PROXY|ALL_PROXY|--proxy)/);
      expect(found[0]!.fix).not.toMatch(/undefined/);
    });
  }
  it('407: the fix says where the credentials go, never the command line', () => {
    const d = diagnose(exampleContext(RULES.find((r) => r.id === 'proxy-auth-required')!)!)[0]!;
    expect(d.fix).toMatch(/USER:PASSWORD@proxy\.contoso\.com:3128/);
    expect(d.fix).toMatch(/never on the command line/);
  });
});

describe('our own tunnel (token endpoint, POP3, SMTP)', () => {
  it('refuses a socks4:// proxy with its own finding, before any connection', async () => {
    const err = await connectThroughProxy(parseProxy('socks4://127.0.0.1:1', 'ALL_PROXY'), 'localhost', 995, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProxyError);
    expect((err as ProxyError).failure).toMatchObject({ kind: 'refused', target: 'localhost:995', origin: 'ALL_PROXY' });
    expect((err as ProxyError).message).toMatch(/socks4:\/\/ proxy, which carries only IMAP here: use http:\/\/, https:\/\/ or socks5:\/\//);
  });

  it('a password-protected mail proxy is named without its password when it answers 401', () => {
    const p = parseProxy('http://dave:s3cret-pass@127.0.0.1:3128', 'ALL_PROXY');
    const f = proxyFailureOf(Object.assign(new Error('Failed to setup proxy connection'), { code: 'EPROXY', _err: { message: 'Invalid response from proxy: 401' } }), p, 'localhost', 587)!;
    expect(f).toMatchObject({ kind: 'auth-required', status: 401, proxy: 'http://dave@127.0.0.1:3128' });
    expect(f.message).not.toContain('s3cret-pass');
  });
});
