// Issue 9, hostile servers: an IMAP server and a token endpoint written to attack the tool. They
// echo what they receive in every position and encoding, flood, stall, send oversized literals,
// lines and bodies, greet with PREAUTH, fake or withhold STARTTLS. Each run must end (the kill
// timer is a backstop: a killed run has no exit code) with its stage's documented exit code and
// the finding that names the misbehaviour; the token must never reach a server in clear text;
// and no output or written file may hold any secret or 16-character fragment of one.
// Peak memory is not asserted here (no timed or sized assertions on the machine): see bench/.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../../src/sandbox/jwt.js';
import { createSelfSignedCert, createTestPki, type KeyAndCert } from '../../src/sandbox/pki.js';
import { runCli, type CliRun } from '../support/cli.js';
import { startHostileImap, type HostileImap, type HostileImapOptions } from '../support/hostile-imap.js';
import { startHostileToken, type HostileToken, type HostileTokenOptions } from '../support/hostile-token.js';
import { describeFindings, scanForSecrets } from '../support/secret-scan.js';

const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const CLIENT_ID = '3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21';
const SP_ID = 'b7c4a1e2-5d3f-4e8a-9c1b-2a3d4e5f6a7b';
const USER = 'someone@contoso.com';
// Shaped like an Entra secret: 40 characters with "~" (form-encoded as %7E).
const SECRET = `Hq8Q~${randomUUID().replace(/-/g, '').slice(0, 30)}~x.Z_`;
/** What a run may take at most before the kill timer ends it (it then fails on the exit code). */
const KILL_MS = 25_000;

let dir: string;
let caFile: string;
let serverCert: KeyAndCert;
let untrustedCert: KeyAndCert;
let token: string;
let tokenFile: string;
/** Everything secret: scanned for in every output and file at the end (and per run). */
const secrets: string[] = [SECRET];
/** Every output and written file of every run, named. */
const texts: { name: string; text: string }[] = [];
let runs = 0;

function makeToken(claims: Record<string, unknown> = {}): string {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    { alg: 'RS256', typ: 'JWT', kid: 'hostile' },
    { aud: 'https://outlook.office365.com', iss: `https://sts.windows.net/${TENANT}/`, iat: now - 60, nbf: now - 60, exp: now + 3600, appid: CLIENT_ID, oid: SP_ID, sub: SP_ID, tid: TENANT, roles: ['IMAP.AccessAsApp'], ver: '1.0', ...claims },
    key,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-hostile-'));
  const pki = await createTestPki('imap-oauth hostile CA');
  serverCert = await pki.issueServerCert(['localhost', '127.0.0.1']);
  untrustedCert = await (await createTestPki('imap-oauth untrusted CA')).issueServerCert(['localhost', '127.0.0.1']);
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pki.ca.certPem);
  token = makeToken();
  secrets.push(token);
  tokenFile = join(dir, 'token.txt');
  writeFileSync(tokenFile, `${token}\n`);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Doc {
  exitCode: number;
  token: { ok: boolean; error?: { kind: string; message: string } };
  results: { user: string; exitCode: number; failedStage: string | null; stages: { name: string; ok: boolean; detail: string }[]; transcript: { dir: string; text: string }[]; diagnosis: { id: string; summary: string; cause: string }[] }[];
}

/**
 * Runs the CLI with --json, a --junit file and a GitHub step summary, and keeps every output and
 * written file for the secret scan. Returns the run and its JSON document.
 */
async function run(args: string[], opts: { env?: Record<string, string>; json?: boolean } = {}): Promise<{ run: CliRun; doc: Doc }> {
  const n = ++runs;
  const junit = join(dir, `junit-${n}.xml`);
  const summary = join(dir, `summary-${n}.md`);
  const json = opts.json !== false;
  const r = await runCli([...args, ...(json ? ['--json'] : []), '--junit', junit], {
    cwd: dir,
    timeoutMs: KILL_MS,
    env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, ...opts.env },
  });
  const written = [junit, summary].filter(existsSync).map((p) => ({ name: `run ${n} ${p.endsWith('.xml') ? 'junit' : 'step summary'}`, text: readFileSync(p, 'utf8') }));
  const outputs = [{ name: `run ${n} stdout`, text: r.stdout }, { name: `run ${n} stderr`, text: r.stderr }, ...written];
  texts.push(...outputs);
  const context = `exit ${r.code}\nstdout: ${r.stdout.slice(0, 4000)}\nstderr: ${r.stderr.slice(0, 2000)}`;
  expect(r.code, context).not.toBeNull(); // killed by the backstop: it hung
  expect(r.stderr, context).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)|internal error/);
  const leaks = scanForSecrets(outputs.map((o) => o.text), secrets);
  expect(describeFindings(leaks, outputs.map((o) => o.name)), 'a secret or a fragment of one in an output').toBe('');
  return { run: r, doc: json ? (JSON.parse(r.stdout) as Doc) : (undefined as unknown as Doc) };
}

const imapArgs = (server: HostileImap, ...extra: string[]) => ['test', '--user', USER, '--host', '127.0.0.1', '--port', String(server.port), '--ca-file', caFile, '--access-token-file', tokenFile, '--timeout', '3', ...extra];

async function withImap(opts: Omit<HostileImapOptions, 'tls'> & { tls?: KeyAndCert | null }, body: (s: HostileImap) => Promise<void>) {
  const server = await startHostileImap({ ...opts, tls: opts.tls === null ? undefined : (opts.tls ?? serverCert) });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** Whether the token, in the base64 of a SASL string or raw, is anywhere in `text`. */
function holdsToken(text: string): boolean {
  return scanForSecrets([text], [token]).length > 0;
}

function expectFailure(doc: Doc, want: { code: number; stage: string; rule: string }) {
  const r = doc.results[0]!;
  const context = JSON.stringify({ stages: r.stages, diagnosis: r.diagnosis.map((d) => d.id), transcript: r.transcript.slice(-5) }, null, 2);
  expect({ exit: doc.exitCode, code: r.exitCode, stage: r.failedStage, rule: r.diagnosis[0]?.id }, context).toEqual({ exit: want.code, code: want.code, stage: want.stage, rule: want.rule });
}

describe('a hostile IMAP server', () => {
  it('echoing the SASL string and the token in every position and encoding, then NO → 6, nothing of them in any output', async () => {
    await withImap({ mode: 'echo' }, async (s) => {
      const { doc } = await run(imapArgs(s));
      expectFailure(doc, { code: 6, stage: 'authenticate', rule: 'imap-sasl-error-challenge' });
      expect(holdsToken(s.received())).toBe(true); // the attack really happened
      await run(imapArgs(s, '--verbose'), { json: false });
    });
  });

  it.each(['bye', 'bad'] as const)('echoing, then ending the login with %s → 6, nothing of them in any output', async (echoEnd) => {
    await withImap({ mode: 'echo', echoEnd }, async (s) => {
      const { doc } = await run(imapArgs(s));
      expect(doc.exitCode).toBe(6);
      expect(doc.results[0]!.failedStage).toBe('authenticate');
    });
  });

  it('echoing the token into the login reply, the EXAMINE answer and the next greeting of a batch → passes, nothing of it in any output', async () => {
    await withImap({ mode: 'echo-accept' }, async (s) => {
      const { doc } = await run(imapArgs(s, '--user', 'other@contoso.com', '--concurrency', '1'));
      expect(doc.results.map((r) => r.exitCode)).toEqual([0, 0]);
      expect(s.connections()).toBe(2);
      await run(imapArgs(s, '--verbose'), { json: false });
      await run([...imapArgs(s), '--jsonl'], { json: false });
    });
  });

  it('announcing a {900000000} literal during AUTHENTICATE → 4 (not 6), authenticate, imap-server-misbehaved; the session is ended at once', async () => {
    await withImap({ mode: 'literal-auth' }, async (s) => {
      const { doc, run: r } = await run(imapArgs(s));
      expectFailure(doc, { code: 4, stage: 'authenticate', rule: 'imap-server-misbehaved' });
      expect(doc.results[0]!.diagnosis[0]!.summary).toMatch(/literal announced larger than 65536 bytes/);
      // A capped reply is reported as such, and the report stays small.
      expect(r.stdout.length).toBeLessThan(64 * 1024);
    });
  });

  it('the same literal at --concurrency 3 → every mailbox 4 with the finding', async () => {
    await withImap({ mode: 'literal-auth' }, async (s) => {
      const { doc } = await run(imapArgs(s, '--user', 'b@contoso.com', '--user', 'c@contoso.com', '--concurrency', '3'));
      expect(doc.results.map((r) => [r.exitCode, r.diagnosis[0]?.id])).toEqual(Array(3).fill([4, 'imap-server-misbehaved']));
    });
  });

  it('a line without end during AUTHENTICATE → 4 (not 6), authenticate, imap-server-misbehaved naming the line cap', async () => {
    await withImap({ mode: 'long-line-auth' }, async (s) => {
      const { doc } = await run(imapArgs(s));
      expectFailure(doc, { code: 4, stage: 'authenticate', rule: 'imap-server-misbehaved' });
      expect(doc.results[0]!.stages.at(-1)!.detail).toMatch(/line longer than 65536 bytes/);
    });
  });

  it.each([
    ['an endless CAPABILITY in the greeting', 'endless-capability'],
    ['an endless greeting', 'endless-greeting'],
  ] as const)('%s → 4, connect, imap-server-misbehaved; the token is never sent', async (_name, mode) => {
    await withImap({ mode }, async (s) => {
      const { doc } = await run(imapArgs(s));
      expectFailure(doc, { code: 4, stage: 'connect', rule: 'imap-server-misbehaved' });
      expect(s.received()).not.toMatch(/AUTHENTICATE/);
    });
  });

  it('a flood of untagged lines → 4, imap-server-misbehaved (a flood); the transcript is capped and says so', async () => {
    await withImap({ mode: 'flood-greeting' }, async (s) => {
      const { doc, run: r } = await run(imapArgs(s, '--verbose'));
      const result = doc.results[0]!;
      expect(result.exitCode).toBe(4);
      expect(result.diagnosis[0]!.id).toBe('imap-server-misbehaved');
      expect(result.diagnosis[0]!.summary).toMatch(/more than 1000 lines/);
      expect(result.transcript.some((l) => /lines \(\d+ characters\) not kept/.test(l.text))).toBe(true);
      expect(result.transcript.length).toBeLessThanOrEqual(221);
      expect(r.stdout.length).toBeLessThan(256 * 1024);
    });
  });

  it('a PREAUTH greeting → 4 (not 6), connect, imap-server-misbehaved; the token is never sent', async () => {
    await withImap({ mode: 'preauth' }, async (s) => {
      const { doc } = await run(imapArgs(s));
      expectFailure(doc, { code: 4, stage: 'connect', rule: 'imap-server-misbehaved' });
      expect(doc.results[0]!.diagnosis[0]!.cause).toMatch(/PREAUTH/);
      expect(s.received()).not.toMatch(/AUTHENTICATE/);
      expect(holdsToken(s.received())).toBe(false);
    });
  });

  it('a close when CAPABILITY is asked → 4, capability, imap-connection-lost; the token is never sent', async () => {
    await withImap({ mode: 'close-before-capability' }, async (s) => {
      const { doc } = await run(imapArgs(s));
      expectFailure(doc, { code: 4, stage: 'capability', rule: 'imap-connection-lost' });
      expect(s.received()).toMatch(/^\S+ CAPABILITY\r\n$/);
    });
  });

  it('stalling after AUTHENTICATE → 6 at the deadline (no answer to the login), imap-timeout', async () => {
    await withImap({ mode: 'stall-auth' }, async (s) => {
      const { doc } = await run(imapArgs(s));
      expectFailure(doc, { code: 6, stage: 'authenticate', rule: 'imap-timeout' });
    });
  });
});

describe('STARTTLS that is withheld, faked, refused or untrusted: the token never travels in clear', () => {
  const starttls = (s: HostileImap) => imapArgs(s, '--starttls');

  it.each([
    ['a plain server that does not offer STARTTLS (but offers AUTH=XOAUTH2)', 'no-starttls'],
    ['a server that says OK to STARTTLS and goes on in plain text', 'fake-starttls'],
    ['a server that answers NO to STARTTLS', 'starttls-refused'],
  ] as const)('%s → 4, connect; not a byte of the token reaches it', async (_name, mode) => {
    await withImap({ mode, tls: null }, async (s) => {
      const { doc } = await run(starttls(s));
      expect(doc.results[0]!.exitCode).toBe(4);
      expect(doc.results[0]!.failedStage).toBe('connect');
      expect(s.received()).not.toMatch(/AUTHENTICATE/);
      expect(holdsToken(s.received())).toBe(false);
    });
  });

  it('real STARTTLS: the stage says STARTTLS and the token arrives only inside TLS', async () => {
    await withImap({ mode: 'starttls-tls', tls: serverCert }, async (s) => {
      const { doc } = await run(starttls(s));
      const connect = doc.results[0]!.stages.find((st) => st.name === 'connect')!;
      expect(connect).toMatchObject({ ok: true });
      expect(connect.detail).toMatch(/^STARTTLS, TLSv1\.[23]/);
      expect(s.clearText()).toMatch(/STARTTLS/);
      expect(holdsToken(s.clearText())).toBe(false);
      expect(holdsToken(s.received())).toBe(true); // it did get the token, over TLS
    });
  });

  it('STARTTLS with an untrusted certificate → 4, connect, imap-tls-untrusted ("TLS verification failed"); the token never sent', async () => {
    await withImap({ mode: 'starttls-tls', tls: untrustedCert }, async (s) => {
      const { doc } = await run(starttls(s));
      expectFailure(doc, { code: 4, stage: 'connect', rule: 'imap-tls-untrusted' });
      expect(doc.results[0]!.diagnosis[0]!.summary).toMatch(/^TLS verification failed/);
      expect(holdsToken(s.received())).toBe(false);
    });
  });
});

describe('a hostile token endpoint', () => {
  const tokenArgs = (t: HostileToken, ...extra: string[]) => [
    'test', '--user', USER, '--tenant', TENANT, '--client-id', CLIENT_ID, '--authority-host', t.url, '--host', '127.0.0.1', '--port', '9', '--ca-file', caFile, '--timeout', '3', ...extra,
  ];
  const env = { IMAP_OAUTH_CLIENT_SECRET: SECRET };

  async function withToken(opts: Omit<HostileTokenOptions, 'tls'>, body: (t: HostileToken) => Promise<void>) {
    const server = await startHostileToken({ ...opts, tls: serverCert });
    try {
      await body(server);
    } finally {
      await server.close();
    }
  }

  it.each([
    ['an endless body', 'endless-body', /reply is larger than 1 MiB/],
    ['a Content-Length of 2.5 GB', 'huge-length', /reply is larger than 1 MiB/],
    ['a numeric access_token', 'numeric-token', /access_token that is a number, not a string/],
    ['an object access_token', 'object-token', /access_token that is an object, not a string/],
  ] as const)('%s → 3, token-server-misbehaved, no IMAP connection', async (_name, mode, message) => {
    await withToken({ mode }, async (t) => {
      const { doc } = await run(tokenArgs(t), { env });
      expect(doc.exitCode).toBe(3);
      expect(doc.token.error?.kind).toBe('misbehaved');
      expect(doc.token.error?.message).toMatch(message);
      expect(doc.results[0]!.diagnosis.map((d) => d.id)).toEqual(['token-server-misbehaved']);
    });
  });

  it('echoing the request (secret raw, encoded, cut, wrapped) in every field → 3, nothing of the secret in any output', async () => {
    await withToken({ mode: 'echo' }, async (t) => {
      const { doc } = await run(tokenArgs(t), { env });
      expect(doc.exitCode).toBe(3);
      expect(new URLSearchParams(t.bodies[0]).get('client_secret')).toBe(SECRET); // it was sent, and echoed
      await run(tokenArgs(t, '--verbose'), { env, json: false });
    });
  });

  it('echoing the signed client assertion of --cert (raw, encoded, cut) → 3, nothing of it or of the private key in any output', async () => {
    const cert = await createSelfSignedCert('CN=imap-oauth hostile');
    const certFile = join(dir, 'client.pem');
    writeFileSync(certFile, cert.keyPem + cert.certPem, { mode: 0o600 });
    secrets.push(cert.keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''));
    await withToken({ mode: 'echo' }, async (t) => {
      const args = [...tokenArgs(t), '--cert', certFile];
      const { doc } = await run(args);
      expect(doc.exitCode).toBe(3);
      const assertion = new URLSearchParams(t.bodies[0]).get('client_assertion');
      expect(assertion).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/); // it was sent, and echoed
      secrets.push(assertion!);
      await run([...args, '--verbose'], { json: false });
    });
  });

  it('HTTP 400 with --retries 2 → one request only (never retried)', async () => {
    await withToken({ mode: 'bad-request' }, async (t) => {
      const { doc } = await run(tokenArgs(t, '--retries', '2'), { env });
      expect(doc.exitCode).toBe(3);
      expect(t.bodies).toHaveLength(1);
    });
  });

  it('a token whose claims carry the secret, echoed by the IMAP server too → the whole chain leaks nothing', async () => {
    const echoed = makeToken({ app_displayname: SECRET, unique_name: SECRET.slice(0, 20) });
    secrets.push(echoed);
    await withToken({ mode: 'echo-token', token: echoed }, async (t) => {
      await withImap({ mode: 'echo' }, async (s) => {
        const args = ['test', '--user', USER, '--tenant', TENANT, '--client-id', CLIENT_ID, '--authority-host', t.url, '--host', '127.0.0.1', '--port', String(s.port), '--ca-file', caFile, '--timeout', '3'];
        const { doc } = await run(args, { env });
        expect(doc.token.ok).toBe(true);
        expect(doc.exitCode).toBe(6);
        expect(holdsToken(s.received()) || scanForSecrets([s.received()], [echoed]).length > 0).toBe(true);
        await run([...args, '--verbose'], { env, json: false });
      });
    });
  });
});

describe('secrets never leak', () => {
  it('no output or written file of any run above holds a secret or a 16-character fragment of one', () => {
    expect(texts.length).toBeGreaterThan(20);
    const findings = scanForSecrets(texts.map((t) => t.text), secrets);
    expect(describeFindings(findings, texts.map((t) => t.name))).toBe('');
  });
});
