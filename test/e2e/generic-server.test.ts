// --auth-mode generic end to end: a ready, opaque token (Gmail-shaped, `ya29.…`) against a real
// Dovecot that checks it by RFC 7662 introspection, the way Gmail's servers check theirs. The server
// is reached under a provider-like name (imap.gmail.com) with --connect-to, so TLS verifies that name.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki } from '../../src/sandbox/pki.js';
import { findLeak, runCli, type CliRun } from '../support/cli.js';
import { startDovecot, type Dovecot } from '../support/dovecot.js';
import { startIntrospectionServer, type IntrospectionServer } from '../support/introspection-server.js';

const HOST = 'imap.gmail.com';
const ME = 'me@example.com';
const OTHER = 'someone.else@example.com';
const MICROSOFT = /Exchange Online|Entra|PowerShell|ServicePrincipal|AADSTS|IMAP\.AccessAs|--tenant/;

let idp: IntrospectionServer;
let dovecot: Dovecot;
let dir: string;
let caFile: string;
const tokens: string[] = [];
const outputs: string[] = [];

beforeAll(async () => {
  const pki = await createTestPki('imap-oauth generic CA');
  idp = await startIntrospectionServer();
  dovecot = await startDovecot({ tls: await pki.issueServerCert([HOST]), introspection: { url: idp.url, clientId: idp.clientId, clientSecret: idp.clientSecret } });
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-generic-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pki.ca.certPem);
});

afterAll(async () => {
  await dovecot?.stop();
  await idp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  // Neither the opaque tokens nor the SASL strings built from them ever appear, in any encoding.
  const sasl = tokens.flatMap((t) => [`user=${ME}\x01auth=Bearer ${t}\x01\x01`, `user=${OTHER}\x01auth=Bearer ${t}\x01\x01`]);
  expect(findLeak(outputs, [...tokens, ...sasl])).toBeNull();
});

function tokenFile(user: string, opts: { revoked?: boolean; form?: (t: string) => string } = {}): string {
  const token = idp.issue(user);
  tokens.push(token);
  if (opts.revoked) idp.revoke(token);
  const path = join(dir, `token-${tokens.length}.txt`);
  writeFileSync(path, `${opts.form ? opts.form(token) : token}\n`);
  return path;
}

async function generic(file: string, ...extra: string[]): Promise<CliRun> {
  const starttls = extra.includes('--starttls');
  const port = starttls ? dovecot.starttlsPort : dovecot.port;
  const run = await runCli([
    'test', '--auth-mode', 'generic', '--host', HOST, '--user', ME, '--access-token-file', file, '--ca-file', caFile, '--timeout', '5',
    '--connect-to', `${HOST}:${starttls ? 143 : 993}:127.0.0.1:${port}`, ...extra,
  ], { cwd: dir });
  outputs.push(run.stdout, run.stderr);
  return run;
}

describe('--auth-mode generic against Dovecot with opaque tokens', () => {
  it('passes with a good opaque token, without a token request or a Microsoft word', async () => {
    const before = idp.requests;
    const run = await generic(tokenFile(ME));
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('PASS');
    expect(run.stdout).toMatch(/✔ mailbox .*INBOX opened read-only: 3 messages/);
    expect(run.stdout).toMatch(/C: \S+ AUTHENTICATE XOAUTH2 <redacted>/);
    expect(run.stdout).not.toMatch(MICROSOFT);
    expect(run.stderr).toBe('');
    expect(idp.requests - before).toBe(1); // the server's own check; imap-oauth asked nobody
  });

  it('--json: the token is an access-token-file token with no claims', async () => {
    const run = await generic(tokenFile(ME, { form: (t) => JSON.stringify({ access_token: t, token_type: 'Bearer', expires_in: 3599 }) }), '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.token).toMatchObject({ source: 'access-token-file', ok: true, claims: {}, requests: 0 });
    expect(doc.results[0]).toMatchObject({ user: ME, host: HOST, port: 993, ok: true });
  });

  it('a revoked token: exit 6, the error challenge decoded, and a provider-neutral fix', async () => {
    const run = await generic(tokenFile(ME, { revoked: true }), '--json');
    expect(run.code, run.stdout + run.stderr).toBe(6);
    const result = JSON.parse(run.stdout).results[0];
    expect(result.failedStage).toBe('authenticate');
    expect(result.diagnosis.map((d: { id: string }) => d.id)).toEqual(['imap-sasl-error-challenge']);
    expect(result.diagnosis[0].summary).toBe('The server rejected the token with an error challenge: status 401, scope mail');
    expect(result.diagnosis[0].fix).toBe(`Get a new token for ${ME} with the scope the server names (mail): an expired or revoked token, or one for another account, gets this answer too.`);
    expect(JSON.stringify(result)).not.toMatch(MICROSOFT);
  });

  it("someone else's token for my mailbox is refused (exit 6)", async () => {
    const run = await generic(tokenFile(OTHER));
    expect(run.code, run.stdout + run.stderr).toBe(6);
    expect(run.stdout).toMatch(/✖ authenticate/);
    expect(run.stdout).not.toMatch(MICROSOFT);
  });

  it('OAUTHBEARER (RFC 7628) and STARTTLS work the same way', async () => {
    const bearer = await generic(tokenFile(ME), '--mech', 'oauthbearer');
    expect(bearer.code, bearer.stdout + bearer.stderr).toBe(0);
    expect(bearer.stdout).toMatch(/C: \S+ AUTHENTICATE OAUTHBEARER <redacted>/);
    const starttls = await generic(tokenFile(ME), '--starttls');
    expect(starttls.code, starttls.stdout + starttls.stderr).toBe(0);
    expect(starttls.stdout).toMatch(/✔ connect .*STARTTLS/);
    const refused = await generic(tokenFile(ME, { revoked: true }), '--mech', 'oauthbearer', '--json');
    expect(refused.code).toBe(6);
    const d = JSON.parse(refused.stdout).results[0].diagnosis[0];
    expect(d.summary).toMatch(/status invalid_token/);
    expect(d.fix).toContain('https://mail.google.com/');
  });

  it('the same opaque token without --auth-mode generic is a usage error that names the way out', async () => {
    const run = await runCli(['test', '--host', HOST, '--user', ME, '--access-token-file', tokenFile(ME)], { cwd: dir });
    outputs.push(run.stdout, run.stderr);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^imap-oauth: .*is not a JWT.*add --auth-mode generic\n$/);
  });
});
