// `imap-oauth test` end to end: the built CLI, spawned as a user runs it, against the identity
// platform stand-in and a real Dovecot. Every output of every run is kept and scanned for secrets.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeXoauth2 } from '../../src/sasl.js';
import { findLeak, runCli, type CliRun } from '../support/cli.js';
import { CLIENT_ID, SP_ID, TENANT, USER, startE2eWorld, type E2eWorld } from '../support/e2e-world.js';

let world: E2eWorld;
const runs: CliRun[] = [];
const extraSecrets: string[] = [];

async function cli(args: string[], env: Record<string, string> = {}, input?: string): Promise<CliRun> {
  const run = await runCli(args, { env, input, cwd: world.dir });
  runs.push(run);
  return run;
}

function json(run: CliRun) {
  expect(run.stdout.trim().startsWith('{'), `stdout is one JSON document:\n${run.stdout}\n${run.stderr}`).toBe(true);
  return JSON.parse(run.stdout);
}

beforeAll(async () => {
  world = await startE2eWorld();
});

afterAll(async () => {
  await world?.close();
});

describe('imap-oauth test against Dovecot and the identity stand-in', () => {
  it('passes with a client secret from the environment (exit 0) and shows the exchange', async () => {
    const run = await cli(world.args(), { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('PASS');
    expect(run.stdout).toMatch(/✔ token/);
    expect(run.stdout).toMatch(/✔ connect .*TLSv1\.3/);
    expect(run.stdout).toMatch(/✔ authenticate/);
    expect(run.stdout).toMatch(/✔ mailbox .*INBOX opened read-only: 3 messages/);
    expect(run.stdout).toMatch(/C: \S+ AUTHENTICATE XOAUTH2 <redacted>/);
    expect(run.stdout).toMatch(/S: \S+ OK/);
    expect(run.stdout).toContain('roles    IMAP.AccessAsApp');
    expect(run.stderr).toBe('');
  });

  it('passes with a secret from a file, in JSON, with exactly one token request', async () => {
    const before = world.identity.requests.length;
    const run = await cli(world.args('--client-secret-file', world.secretFile, '--json'));
    expect(run.code, run.stderr).toBe(0);
    const doc = json(run);
    expect(doc).toMatchObject({ ok: true, exitCode: 0, token: { source: 'client-secret', ok: true } });
    expect(doc.token.claims).toMatchObject({ aud: 'https://outlook.office365.com', tid: TENANT, appid: CLIENT_ID, oid: SP_ID, roles: ['IMAP.AccessAsApp'] });
    expect(Date.parse(doc.token.expiresAt)).toBeGreaterThan(Date.now());
    const [result] = doc.results;
    expect(result).toMatchObject({ user: USER, host: world.dovecot.host, port: world.dovecot.port, ok: true, exitCode: 0, failedStage: null });
    expect(result.stages.map((s: { name: string }) => s.name)).toEqual(['token', 'connect', 'capability', 'authenticate', 'mailbox', 'logout']);
    for (const s of result.stages) expect(s).toEqual({ name: expect.any(String), ok: true, ms: expect.any(Number), detail: expect.any(String) });
    for (const line of result.transcript) expect(line).toEqual({ dir: expect.stringMatching(/^[CS]$/), text: expect.any(String) });
    expect(result.diagnosis).toEqual([]);
    const posts = world.identity.requests.slice(before).filter((r) => r.method === 'POST');
    expect(world.identity.requests.length - before).toBe(1);
    expect(posts[0]?.path).toBe(`/${TENANT}/oauth2/v2.0/token`);
  });

  it('uses XOAUTH2 with SASL-IR although Dovecot also offers OAUTHBEARER, and sends nothing the check does not need', async () => {
    const run = await cli(world.args('--json'), { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    const client = json(run).results[0].transcript.filter((l: { dir: string }) => l.dir === 'C').map((l: { text: string }) => l.text.replace(/^\S+ /, ''));
    expect(client).toEqual(['AUTHENTICATE XOAUTH2 <redacted>', 'EXAMINE INBOX', 'LOGOUT']);
    const greeting = json(run).results[0].transcript[0].text;
    expect(greeting).toMatch(/^\* OK \[CAPABILITY .*AUTH=OAUTHBEARER/);
    // LOGOUT is not waited for, but it reaches the server: Dovecot logs a clean logout.
    await expect.poll(() => world.dovecot.log(), { timeout: 5000 }).toMatch(/imap\(someone@contoso\.com\).*Logged out/);
  });

  it('--mech oauthbearer logs in with RFC 7628 OAUTHBEARER (GS2 header, host, port)', async () => {
    const run = await cli(world.args('--mech', 'oauthbearer', '--json'), { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    expect(run.code, run.stderr).toBe(0);
    const r = json(run).results[0];
    expect(r.transcript.filter((l: { dir: string }) => l.dir === 'C').map((l: { text: string }) => l.text.replace(/^\S+ /, ''))).toEqual(['AUTHENTICATE OAUTHBEARER <redacted>', 'EXAMINE INBOX', 'LOGOUT']);
    expect(r.stages.find((s: { name: string }) => s.name === 'authenticate').detail).toBe('AUTHENTICATE OAUTHBEARER accepted');
  });

  it('--mech oauthbearer with a bad token: the error challenge is answered and the login refused (exit 6)', async () => {
    const { path, token } = world.tokenFile({ otherKey: true });
    extraSecrets.push(token);
    const run = await cli(['test', '--user', USER, '--access-token-file', path, '--host', world.dovecot.host, '--port', String(world.dovecot.port), '--ca-file', world.caFile, '--mech', 'oauthbearer', '--json']);
    expect(run.code).toBe(6);
    const r = json(run).results[0];
    expect(r.diagnosis.map((d: { id: string }) => d.id)).toContain('imap-sasl-error-challenge');
    expect(r.transcript.some((l: { dir: string; text: string }) => l.dir === 'C' && l.text === 'AQ==')).toBe(true);
  });

  it('--starttls upgrades plain IMAP before anything is authenticated', async () => {
    const args = world.args('--starttls', '--json');
    args[args.indexOf('--port') + 1] = String(world.dovecot.starttlsPort);
    const run = await cli(args, { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const r = json(run).results[0];
    const client = r.transcript.filter((l: { dir: string }) => l.dir === 'C').map((l: { text: string }) => l.text.replace(/^\S+ /, ''));
    expect(client.indexOf('STARTTLS')).toBeGreaterThanOrEqual(0);
    expect(client.indexOf('STARTTLS')).toBeLessThan(client.indexOf('AUTHENTICATE XOAUTH2 <redacted>'));
    expect(r.stages.find((s: { name: string }) => s.name === 'connect').detail).toMatch(/^STARTTLS, TLSv1\.3/);
  });

  it('passes with a certificate (PS256 assertion verified by the stand-in)', async () => {
    const before = world.identity.requests.length;
    const run = await cli(world.args('--cert', world.certFile, '--json'));
    expect(run.code, run.stderr).toBe(0);
    expect(json(run).token).toMatchObject({ source: 'certificate', ok: true, claims: { appidacr: '2' } });
    const post = world.identity.requests.slice(before).find((r) => r.method === 'POST');
    expect(post?.form?.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(post?.form?.client_secret).toBeUndefined();
    const header = JSON.parse(Buffer.from(post!.form!.client_assertion!.split('.')[0]!, 'base64url').toString());
    expect(header['x5t#S256']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(header.x5c).toBeUndefined();
  });

  it('--send-x5c puts the certificate chain into the assertion', async () => {
    const before = world.identity.requests.length;
    const run = await cli(world.args('--cert', world.certFile, '--send-x5c'));
    expect(run.code, run.stderr).toBe(0);
    const post = world.identity.requests.slice(before).find((r) => r.method === 'POST');
    const header = JSON.parse(Buffer.from(post!.form!.client_assertion!.split('.')[0]!, 'base64url').toString());
    expect(Array.isArray(header.x5c) && header.x5c.length).toBeGreaterThan(0);
  });

  it('an encrypted key works with its passphrase (file or environment); a wrong one is a usage error', async () => {
    const { createPrivateKey } = await import('node:crypto');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const pem = readFileSync(world.certFile, 'utf8');
    const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/.exec(pem)![0];
    const certPem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem)![0];
    const passphrase = 'correct horse battery staple';
    const encrypted = createPrivateKey(keyPem).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }).toString();
    const encFile = `${world.dir}/encrypted.pem`;
    const passFile = `${world.dir}/passphrase.txt`;
    writeFileSync(encFile, `${encrypted}${certPem}\n`);
    writeFileSync(passFile, `${passphrase}\n`);
    const viaFile = await cli(world.args('--cert', encFile, '--cert-passphrase-file', passFile, '--json'));
    expect(viaFile.code, viaFile.stderr).toBe(0);
    const viaEnv = await cli(world.args('--cert', encFile, '--verbose'), { IMAP_OAUTH_CERT_PASSPHRASE: passphrase });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    const wrong = await cli(world.args('--cert', encFile), { IMAP_OAUTH_CERT_PASSPHRASE: 'not it' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/passphrase does not decrypt/);
    extraSecrets.push(passphrase);
  });

  it('a PKCS#12 (.pfx) certificate works with its password; none or a wrong one is a usage error', async () => {
    const forge = (await import('node-forge')).default;
    const { readFileSync, writeFileSync } = await import('node:fs');
    const pem = readFileSync(world.certFile, 'utf8');
    const key = forge.pki.privateKeyFromPem(/-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/.exec(pem)![0]);
    const cert = forge.pki.certificateFromPem(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem)![0]);
    const password = 'pfx-password-123';
    const der = forge.asn1.toDer(forge.pkcs12.toPkcs12Asn1(key, [cert], password, { algorithm: '3des' })).getBytes();
    const pfx = `${world.dir}/app.pfx`;
    writeFileSync(pfx, Buffer.from(der, 'binary'));
    extraSecrets.push(password);

    const ok = await cli(world.args('--cert', pfx, '--json'), { IMAP_OAUTH_CERT_PASSPHRASE: password });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).token).toMatchObject({ source: 'certificate', ok: true });
    const none = await cli(world.args('--cert', pfx));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/protected by a password/);
    const wrong = await cli(world.args('--cert', pfx), { IMAP_OAUTH_CERT_PASSPHRASE: 'nope' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/passphrase does not open/);
  });

  it('passes with a ready access token from a file, without tenant or client ID', async () => {
    const { path, token } = world.tokenFile();
    extraSecrets.push(token);
    const before = world.identity.requests.length;
    const run = await cli(['test', '--user', USER, '--access-token-file', path, '--host', world.dovecot.host, '--port', String(world.dovecot.port), '--ca-file', world.caFile]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('access token from file');
    expect(world.identity.requests.length).toBe(before);
  });

  it('reads a ready access token from stdin', async () => {
    const { token } = world.tokenFile();
    extraSecrets.push(token);
    const run = await cli(['test', '--user', USER, '--access-token-file', '-', '--host', world.dovecot.host, '--port', String(world.dovecot.port), '--ca-file', world.caFile, '--json'], {}, `${token}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(json(run).token.source).toBe('access-token-file');
  });

  it('wrong secret → exit 3, AADSTS7000215 explained, correlation ID kept', async () => {
    const run = await cli(world.args('--json'), { IMAP_OAUTH_CLIENT_SECRET: 'not-the-secret-value-at-all' });
    expect(run.code).toBe(3);
    const doc = json(run);
    expect(doc.token).toMatchObject({ ok: false, error: { kind: 'server', aadsts: 7000215, oauthError: 'invalid_client', httpStatus: 401 } });
    expect(doc.token.error.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(doc.token.error.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(doc.results[0]).toMatchObject({ user: USER, ok: false, exitCode: 3, failedStage: 'token' });
    expect(doc.results[0].diagnosis[0]).toMatchObject({ id: 'aadsts-invalid-secret' });
    expect(doc.results[0].diagnosis[0].fix).toContain('Value');
  });

  it('unknown tenant → exit 3 with AADSTS90002 in the human report', async () => {
    const args = world.args();
    args[args.indexOf('--tenant') + 1] = 'fabrikam.onmicrosoft.com';
    const run = await cli(args, { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('AADSTS90002');
    expect(run.stdout).toContain('The tenant was not found');
    expect(run.stdout).toMatch(/Correlation ID [0-9a-f-]{36}/);
    expect(run.stdout).toContain('FAIL');
  });

  it('token with a bad signature → Dovecot rejects it → exit 6', async () => {
    const { path, token } = world.tokenFile({ otherKey: true });
    extraSecrets.push(token);
    const run = await cli(['test', '--user', USER, '--access-token-file', path, '--host', world.dovecot.host, '--port', String(world.dovecot.port), '--ca-file', world.caFile, '--json']);
    expect(run.code).toBe(6);
    const r = json(run).results[0];
    expect(r).toMatchObject({ failedStage: 'authenticate', exitCode: 6, ok: false });
    // Dovecot answers XOAUTH2 failures with an error challenge; the client must answer it.
    expect(r.transcript.some((l: { dir: string; text: string }) => l.dir === 'S' && /^\+ eyJ/.test(l.text))).toBe(true);
    expect(r.transcript.some((l: { dir: string; text: string }) => l.dir === 'S' && /NO \[AUTHENTICATIONFAILED\]/.test(l.text))).toBe(true);
    expect(r.diagnosis.map((d: { id: string }) => d.id)).toContain('imap-sasl-error-challenge');
  });

  it('expired token → exit 6, and the claims check says it expired', async () => {
    const { path, token } = world.tokenFile({ expiresIn: -600 });
    extraSecrets.push(token);
    const run = await cli(['test', '--user', USER, '--access-token-file', path, '--host', world.dovecot.host, '--port', String(world.dovecot.port), '--ca-file', world.caFile, '--json']);
    expect(run.code).toBe(6);
    const ids = json(run).results[0].diagnosis.map((d: { id: string }) => d.id);
    expect(ids).toContain('token-expired');
  });

  it('nothing listening → exit 4, connection refused', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const { path, token } = world.tokenFile();
    extraSecrets.push(token);
    const run = await cli(['test', '--user', USER, '--access-token-file', path, '--host', '127.0.0.1', '--port', String(port), '--json']);
    expect(run.code).toBe(4);
    const r = json(run).results[0];
    expect(r.failedStage).toBe('connect');
    expect(r.diagnosis[0].id).toBe('imap-refused');
  });

  it('untrusted TLS certificate → exit 4 with the certificate named and a --ca-file hint', async () => {
    const { path, token } = world.tokenFile();
    extraSecrets.push(token);
    const run = await cli(['test', '--user', USER, '--access-token-file', path, '--host', world.dovecot.host, '--port', String(world.dovecot.port)]);
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('TLS verification failed');
    expect(run.stdout).toContain('--ca-file');
    expect(run.stdout).toMatch(/issuer CN=imap-oauth e2e CA/);
  });

  it('--insecure connects to the untrusted server but warns loudly on stderr', async () => {
    const { path, token } = world.tokenFile();
    extraSecrets.push(token);
    const run = await cli(['test', '--user', USER, '--access-token-file', path, '--host', world.dovecot.host, '--port', String(world.dovecot.port), '--insecure']);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stderr).toMatch(/warning: --insecure/);
  });

  it('--verbose shows settings and the full transcript, still without secrets', async () => {
    const run = await cli(world.args('--verbose', '--cert', world.certFile));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/certificate: CN=imap-oauth e2e app {2}SHA-256 [0-9A-F]{64}/);
    expect(run.stdout).toContain('C: ');
    // The whole exchange, LOGOUT reply included.
    expect(run.stdout).toMatch(/S: \* BYE .*\n\s+S: \S+ OK/);
    expect(run.stdout).toMatch(/✔ logout .*logged out/);
  });
});

describe('configuration errors', () => {
  it('a secret as a plain argument is refused (exit 2), one line', async () => {
    const run = await cli(world.args('--client-secret', world.secret));
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('IMAP_OAUTH_CLIENT_SECRET');
  });

  it('missing client ID names the flag and the variable (exit 2)', async () => {
    const run = await cli(['test', '--user', USER, '--tenant', TENANT], { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^imap-oauth: missing client ID.*--client-id.*IMAP_OAUTH_CLIENT_ID/);
    expect(run.stdout).toBe('');
  });

  it('two credentials at one level are named (exit 2)', async () => {
    const run = await cli(world.args(), { IMAP_OAUTH_CLIENT_SECRET: world.secret, IMAP_OAUTH_CERT_PATH: world.certFile });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('IMAP_OAUTH_CLIENT_SECRET and IMAP_OAUTH_CERT_PATH');
  });

  it('a flag credential wins over the environment', async () => {
    const run = await cli(world.args('--cert', world.certFile, '--json'), { IMAP_OAUTH_CLIENT_SECRET: 'ignored-because-the-flag-wins' });
    expect(run.code, run.stderr).toBe(0);
    expect(json(run).token.source).toBe('certificate');
  });

  it('--json with a usage error prints nothing on stdout', async () => {
    const args = world.args('--json');
    args[args.indexOf('--port') + 1] = '99999';
    const run = await cli(args, { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/invalid IMAP port "99999"/);
  });
});

describe('secrets never leak', () => {
  it('no output of any run above holds the secret, a token or a SASL string', () => {
    expect(runs.length).toBeGreaterThan(15);
    const tokens = [...world.identity.issuedTokens, ...extraSecrets];
    expect(tokens.length).toBeGreaterThan(5);
    const secrets = [world.secret, 'not-the-secret-value-at-all', ...tokens, ...tokens.map((t) => encodeXoauth2(USER, t))];
    const outputs = runs.flatMap((r) => [r.stdout, r.stderr]);
    expect(findLeak(outputs, secrets)).toBeNull();
    // And the private key of the certificate credential.
    expect(outputs.some((o) => o.includes('PRIVATE KEY'))).toBe(false);
  });
});
