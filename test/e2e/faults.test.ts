// Every fault the diagnosis knows, end to end through the built CLI: the sandbox IMAP server and
// identity-platform stand-in misbehave on purpose (setFault), or are set up with one Microsoft-side
// mistake, and each run must end with the right exit code, failed stage and rule id, within its
// deadline, without a stack trace. Every output of every run is scanned for secrets at the end.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TokenFault } from '../../src/sandbox/identity-server.js';
import { encodeXoauth2 } from '../../src/sasl.js';
import { findLeak, runCli, type CliRun } from '../support/cli.js';
import { SANDBOX, handedOut, startBadCertServer, startFaultWorld, type FaultWorld } from '../support/fault-world.js';

/**
 * --timeout for every run: each network step gets this long. 4 s, not 2: on two busy cores a
 * token POST to the stand-in (TLS, a cold MSAL chunk) took over 2 s twice in clean-clone runs.
 */
const TIMEOUT_S = 4;
/**
 * Node start-up, imports and the fast stages, on a busy two-core machine with other test files
 * running: generous on purpose (runs take 0.5–5 s here). Without the deadlines a hang would run
 * into the 20 s kill timer (imapflow's own socket timeout is 4 × --timeout, MSAL's none).
 */
const STARTUP_MS = 6000;
/** A run that hangs in one stage must end by the deadline of that stage plus start-up. */
const ONE_DEADLINE_MS = TIMEOUT_S * 1000 + STARTUP_MS;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const WRONG_SECRET = 'wrong~secret~value~0123456789abcdefghij';

const runs: CliRun[] = [];

interface Diagnosis {
  id: string;
  summary: string;
  cause: string;
  fix: string;
  severity: string;
  docs?: string;
}
interface Stage {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}
interface Doc {
  ok: boolean;
  exitCode: number;
  token: { ok: boolean; requests: number; error?: Record<string, unknown> & { correlationId?: string; traceId?: string } };
  results: { exitCode: number; failedStage: string | null; stages: Stage[]; transcript: { dir: string; text: string }[]; diagnosis: Diagnosis[] }[];
}

async function cli(args: string[], opts: { env?: Record<string, string>; cwd: string }): Promise<CliRun> {
  // The kill timer is a backstop only: the assertions on `ms` are the hang guard.
  const run = await runCli(args, { ...opts, timeoutMs: 20_000 });
  runs.push(run);
  return run;
}

interface Expect {
  code: number;
  stage: string;
  /** The first finding's rule id (the one the FAIL line names). */
  rule: string;
  /** A hang the deadline must cut: the run may take one deadline, no more. */
  hang?: boolean;
}

/** The common assertions: one JSON document, exit code, stage, rule, deadline, no stack trace. */
function check(run: CliRun, want: Expect) {
  const context = `exit ${run.code} after ${run.ms} ms\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
  expect(run.stdout.trim().startsWith('{'), context).toBe(true);
  const doc = JSON.parse(run.stdout) as Doc;
  const result = doc.results[0]!;
  expect({ code: run.code, docExit: doc.exitCode, resultExit: result.exitCode, stage: result.failedStage }, context).toEqual({
    code: want.code,
    docExit: want.code,
    resultExit: want.code,
    stage: want.stage,
  });
  expect(result.diagnosis[0]?.id, JSON.stringify(result.diagnosis, null, 2)).toBe(want.rule);
  for (const d of result.diagnosis) {
    expect(d.summary.length).toBeGreaterThan(0);
    expect(`${d.summary} ${d.cause} ${d.fix}`).not.toMatch(/undefined|\[object Object\]/);
  }
  expect(run.stderr).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
  // Hang guard. A hang may cost its one deadline; any other failure must not wait for a deadline.
  expect(run.ms, 'the run ended within its deadline').toBeLessThan(ONE_DEADLINE_MS);
  const failed = result.stages.find((s) => !s.ok)!;
  if (want.hang) {
    expect(failed.detail).toMatch(/timed out/);
    expect(failed.ms).toBeGreaterThanOrEqual(TIMEOUT_S * 1000 - 100);
    expect(failed.ms).toBeLessThan(TIMEOUT_S * 1000 + 1500);
  } else {
    expect(failed.detail, 'no deadline was needed').not.toMatch(/timed out/);
  }
  return { doc, result, ids: result.diagnosis.map((d) => d.id), first: result.diagnosis[0]! };
}

const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;

// Two lanes run side by side (describe.concurrent), each with its own servers; inside a lane the
// groups, and inside a group the tests, run one after the other: they share a server whose fault
// they set. Two lanes, not more: on a two-core machine more parallel CLIs only slow every run.

// ── IMAP side: the sandbox IMAP server misbehaves; the token comes from a file ──────────────────
describe.concurrent('IMAP side', () => {
  describe.sequential('IMAP faults (sandbox IMAP server, ready token from a file)', () => {
    let w: FaultWorld;
    let tokenPath: string;
    const run = (...extra: string[]) => cli(w.tokenFileArgs(tokenPath, '--timeout', String(TIMEOUT_S), ...extra), { cwd: w.dir });
    /** The sessions the server saw during `fn`. */
    const sessionsDuring = async <T>(fn: () => Promise<T>) => {
      const before = w.sandbox.imap.sessions.length;
      const value = await fn();
      return { value, sessions: w.sandbox.imap.sessions.slice(before) };
    };

    beforeAll(async () => {
      w = await startFaultWorld();
      tokenPath = (await w.tokenFile()).path;
    });
    afterEach(() => w.sandbox.imap.setFault(null));
    afterAll(async () => w?.close());

    it('without a fault the same setup passes (the baseline the faults below break)', async () => {
      const r = await run();
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as Doc).results[0]!.stages.map((s) => s.name)).toEqual(['token', 'connect', 'capability', 'authenticate', 'mailbox', 'logout']);
    });

    it('hang at the greeting → 4, connect, imap-timeout, cut at the deadline', async () => {
      w.sandbox.imap.setFault('hang-at-greeting');
      const { first } = check(await run(), { code: 4, stage: 'connect', rule: 'imap-timeout', hang: true });
      expect(first.summary).toContain('connect');
      expect(first.fix).toContain('Test-NetConnection');
    });

    it('BYE at the greeting → 4, connect, imap-bye with the server\'s text', async () => {
      w.sandbox.imap.setFault('bye-at-greeting');
      const { first, result } = check(await run(), { code: 4, stage: 'connect', rule: 'imap-bye' });
      expect(first.summary).toContain('Connection refused');
      expect(result.stages.at(-1)!.detail).toContain('BYE: Connection refused');
    });

    it('garbage bytes instead of a greeting → 4, connect, imap-not-imap; control characters escaped', async () => {
      w.sandbox.imap.setFault('garbage');
      const { first, result } = check(await run(), { code: 4, stage: 'connect', rule: 'imap-not-imap' });
      expect(first.summary).toMatch(/does not speak IMAP/);
      expect(first.fix).toContain('--port 993');
      expect(result.transcript.length).toBeGreaterThan(0);
      for (const line of result.transcript) expect(line.text).not.toMatch(CONTROL);
      expect(result.transcript[0]!.text).toMatch(/^\\x00/);
    });

    it('no AUTH=XOAUTH2 → 5, capability, imap-no-mechanism', async () => {
      w.sandbox.imap.setFault('no-xoauth2');
      const { first } = check(await run(), { code: 5, stage: 'capability', rule: 'imap-no-mechanism' });
      expect(first.cause).toContain('AUTH=PLAIN');
    });

    it('connection closed in the middle of AUTHENTICATE → 4 (no verdict), authenticate, imap-connection-lost', async () => {
      w.sandbox.imap.setFault('close-mid-authenticate');
      const { value, sessions } = await sessionsDuring(() => run());
      const { first } = check(value, { code: 4, stage: 'authenticate', rule: 'imap-connection-lost' });
      expect(first.summary).toContain('authenticate');
      expect(first.cause).toMatch(/without a NO, BAD or BYE: no verdict/);
      expect(sessions.map((s) => s.commands.at(-1))).toEqual(['2 AUTHENTICATE XOAUTH2 <redacted>']);
    });

    it('error challenge → 6, authenticate, imap-sasl-error-challenge: answered with an empty line, status and scope shown', async () => {
      w.sandbox.imap.setFault('error-challenge');
      const { value, sessions } = await sessionsDuring(() => run());
      const { first, result } = check(value, { code: 6, stage: 'authenticate', rule: 'imap-sasl-error-challenge' });
      expect(first.summary).toContain('status 401');
      expect(first.summary).toContain('scope https://outlook.office365.com/.default');
      // The client answered the challenge (an empty line), so the server could finish with NO.
      expect(sessions).toHaveLength(1);
      expect(sessions[0]!.commands).toEqual(['1 CAPABILITY', '2 AUTHENTICATE XOAUTH2 <redacted>', '']);
      expect(result.transcript.some((l) => l.dir === 'S' && /^\+ eyJ/.test(l.text))).toBe(true);
      expect(result.transcript.at(-1)).toEqual({ dir: 'S', text: '2 NO AUTHENTICATE failed.' });
    });

    it('* BAD to AUTHENTICATE → 6, authenticate, imap-authenticate-bad', async () => {
      w.sandbox.imap.setFault('untagged-bad');
      const { first, result } = check(await run(), { code: 6, stage: 'authenticate', rule: 'imap-authenticate-bad' });
      expect(first.summary).toContain('BAD Command Error. 10');
      expect(result.transcript.some((l) => l.text === '* BAD Command Error. 10')).toBe(true);
      expect(result.stages.at(-1)!.detail).toBe('BAD Command Error. 10');
    });

    it('OK to AUTHENTICATE, then BAD "not connected" → 7, mailbox, imap-authenticated-not-connected with FullAccess and Set-CASMailbox filled', async () => {
      w.sandbox.imap.setFault('ok-then-bad');
      const { first, ids } = check(await run(), { code: 7, stage: 'mailbox', rule: 'imap-authenticated-not-connected' });
      expect(ids).toEqual(['imap-authenticated-not-connected']);
      expect(first.fix).toContain(`Add-MailboxPermission -Identity '${SANDBOX.user}' -User '${SANDBOX.servicePrincipalId}' -AccessRights FullAccess`);
      expect(first.fix).toContain(`Set-CASMailbox -Identity '${SANDBOX.user}' -ImapEnabled $true`);
      expect(first.fix).toContain('30 minutes');
    });

    it('the human report (--verbose, no --json) of a refused mailbox names the rule and the fix', async () => {
      w.sandbox.imap.setFault('ok-then-bad');
      const args = w.tokenFileArgs(tokenPath, '--timeout', String(TIMEOUT_S), '--verbose', '--no-color').filter((a) => a !== '--json');
      const r = await cli(args, { cwd: w.dir });
      expect(r.code, r.stdout + r.stderr).toBe(7);
      expect(r.stdout).toContain('[imap-authenticated-not-connected]');
      expect(r.stdout).toContain('C: 2 AUTHENTICATE XOAUTH2 <redacted>');
      expect(r.stdout).toContain(`Add-MailboxPermission -Identity '${SANDBOX.user}' -User '${SANDBOX.servicePrincipalId}' -AccessRights FullAccess`);
      expect(r.stdout).toMatch(/FAIL .*exit 7/);
      expect(r.ms).toBeLessThan(ONE_DEADLINE_MS);
    });

    it('BYE after a successful login → 7 (authenticated, mailbox not opened), mailbox, imap-bye', async () => {
      w.sandbox.imap.setFault('bye-after-auth');
      const { first } = check(await run(), { code: 7, stage: 'mailbox', rule: 'imap-bye' });
      expect(first.summary).toContain('Connection is closed. 13');
      expect(first.cause).toMatch(/login was accepted/);
    });

    it('hang after a successful login → 7, mailbox, imap-timeout, cut at the deadline', async () => {
      w.sandbox.imap.setFault('hang-after-auth');
      const { first } = check(await run(), { code: 7, stage: 'mailbox', rule: 'imap-timeout', hang: true });
      expect(first.summary).toContain('mailbox');
    });

    it('NO AUTHENTICATE failed with a good token → 6, authenticate, imap-auth-rejected-service-principal with New-ServicePrincipal filled', async () => {
      w.sandbox.imap.setFault('reject-auth');
      const { first, ids, result } = check(await run(), { code: 6, stage: 'authenticate', rule: 'imap-auth-rejected-service-principal' });
      expect(ids).toEqual(['imap-auth-rejected-service-principal']);
      expect(first.fix).toContain(`New-ServicePrincipal -AppId '${SANDBOX.clientId}' -ServiceId '${SANDBOX.servicePrincipalId}' -Organization '${SANDBOX.tenantId}'`);
      expect(first.fix).toContain(`Add-MailboxPermission -Identity '${SANDBOX.user}' -User '${SANDBOX.servicePrincipalId}' -AccessRights FullAccess`);
      expect(result.stages.at(-1)!.detail).toBe('NO AUTHENTICATE failed.');
    });
  });

  // ── Exchange-side mistakes, as the sandbox reproduces them (token from the identity stand-in) ────
  describe.sequential('Exchange-realistic mistakes (client secret → identity stand-in → sandbox IMAP)', () => {
    const worlds: Record<'noRole' | 'noServicePrincipal' | 'noFullAccess' | 'imapDisabled', FaultWorld> = {} as never;
    const run = (w: FaultWorld) => cli(w.secretArgs('--timeout', String(TIMEOUT_S)), { cwd: w.dir, env: w.env });

    beforeAll(async () => {
      const [noRole, noServicePrincipal, noFullAccess, imapDisabled] = await Promise.all([
        startFaultWorld({ app: { roles: [] } }),
        startFaultWorld({ servicePrincipalRegistered: false }),
        startFaultWorld({ mailbox: { fullAccess: [] } }),
        startFaultWorld({ mailbox: { imapEnabled: false } }),
      ]);
      Object.assign(worlds, { noRole, noServicePrincipal, noFullAccess, imapDisabled });
    });
    afterAll(async () => Promise.all(Object.values(worlds).map((w) => w.close())));

    it('IMAP.AccessAsApp not granted (no roles) → 6, token-missing-imap-role (advisory) then the rejection', async () => {
      const { doc, ids, first, result } = check(await run(worlds.noRole), { code: 6, stage: 'authenticate', rule: 'token-missing-imap-role' });
      expect(doc.token.ok).toBe(true);
      expect(first.severity).toBe('advisory');
      expect(first.fix).toContain('Grant admin consent');
      expect(ids).toEqual(['token-missing-imap-role', 'imap-auth-rejected']);
      expect(result.diagnosis[1]!.severity).toBe('error');
    });

    it('service principal not registered in Exchange → 6, imap-auth-rejected-service-principal', async () => {
      const { first } = check(await run(worlds.noServicePrincipal), { code: 6, stage: 'authenticate', rule: 'imap-auth-rejected-service-principal' });
      expect(first.fix).toContain(`New-ServicePrincipal -AppId '${SANDBOX.clientId}' -ServiceId '${SANDBOX.servicePrincipalId}'`);
    });

    it('no FullAccess on the mailbox → 7, imap-authenticated-not-connected', async () => {
      const { first } = check(await run(worlds.noFullAccess), { code: 7, stage: 'mailbox', rule: 'imap-authenticated-not-connected' });
      expect(first.fix).toContain(`Add-MailboxPermission -Identity '${SANDBOX.user}' -User '${SANDBOX.servicePrincipalId}' -AccessRights FullAccess`);
    });

    it('IMAP disabled for the mailbox → 7, imap-authenticated-not-connected with Set-CASMailbox', async () => {
      const { first } = check(await run(worlds.imapDisabled), { code: 7, stage: 'mailbox', rule: 'imap-authenticated-not-connected' });
      expect(first.fix).toContain(`Set-CASMailbox -Identity '${SANDBOX.user}' -ImapEnabled $true`);
    });
  });

  // ── Before IMAP: DNS, TLS ───────────────────────────────────────────────────────────────────────
  describe.sequential('DNS and TLS', () => {
    let w: FaultWorld;
    let tokenPath: string;
    const DAY = 86_400_000;
    const servers: { close(): Promise<unknown> }[] = [];
    const run = (host: string, port: number, caFile: string | null) =>
      cli(['test', '--user', SANDBOX.user, '--access-token-file', tokenPath, '--host', host, '--port', String(port), ...(caFile ? ['--ca-file', caFile] : []), '--json', '--timeout', String(TIMEOUT_S)], { cwd: w.dir });

    beforeAll(async () => {
      w = await startFaultWorld();
      tokenPath = (await w.tokenFile()).path;
    });
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.close()));
      await w?.close();
    });

    it('a host name that does not resolve → 4, connect, imap-dns', async () => {
      const { first } = check(await run('no-such-host.invalid', 993, null), { code: 4, stage: 'connect', rule: 'imap-dns' });
      expect(first.fix).toContain('nslookup no-such-host.invalid');
    });

    it('a certificate for another host name → 4, connect, imap-tls-untrusted naming subject and issuer (and no bogus BYE)', async () => {
      const other = await startBadCertServer(w.dir, 'other-name', ['other.example']);
      servers.push(other);
      const { first, ids, result } = check(await run('localhost', other.imap.port, other.caFile), { code: 4, stage: 'connect', rule: 'imap-tls-untrusted' });
      expect(ids).toEqual(['imap-tls-untrusted']);
      expect(first.summary).toContain('another host name');
      expect(first.cause).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(first.cause).toContain('subject CN=other.example');
      expect(first.cause).toContain('issuer CN=imap-oauth other-name CA');
      expect(result.stages.at(-1)!.detail).not.toContain('BYE');
    });

    it('an expired server certificate → 4, connect, imap-tls-untrusted with CERT_HAS_EXPIRED', async () => {
      const expired = await startBadCertServer(w.dir, 'expired', ['localhost', '127.0.0.1'], { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
      servers.push(expired);
      const { first } = check(await run('127.0.0.1', expired.imap.port, expired.caFile), { code: 4, stage: 'connect', rule: 'imap-tls-untrusted' });
      expect(first.summary).toContain('expired');
      expect(first.cause).toContain('CERT_HAS_EXPIRED');
      expect(first.cause).toContain('subject CN=localhost');
      expect(first.cause).toContain('issuer CN=imap-oauth expired CA');
    });

    it('a plain-text port (no TLS) → 4, connect, imap-connection-lost saying it is not TLS (and no bogus BYE)', async () => {
      const sockets = new Set<Socket>();
      const plain: Server = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.write('* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] plain-text IMAP ready\r\n');
      });
      await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
      servers.push({
        close: () => new Promise((resolve) => {
          plain.close(resolve);
          for (const socket of sockets) socket.destroy();
        }),
      });
      const port = (plain.address() as { port: number }).port;
      const { first, ids } = check(await run('127.0.0.1', port, null), { code: 4, stage: 'connect', rule: 'imap-connection-lost' });
      expect(ids).toEqual(['imap-connection-lost']);
      expect(first.summary).toContain('TLS handshake failed');
      expect(first.cause).toMatch(/not TLS/);
      expect(first.fix).toContain('--port 993');
    });
  });
});

// ── Token side: the identity stand-in misbehaves ────────────────────────────────────────────────
/** One identity stand-in with its own world; the helpers of a token-side group. */
function tokenGroup() {
  const g = {
    w: undefined as unknown as FaultWorld,
    run(env: Record<string, string> = {}, ...extra: string[]) {
      return cli(g.w.secretArgs('--timeout', String(TIMEOUT_S), ...extra), { cwd: g.w.dir, env: { ...g.w.env, ...env } });
    },
    posts(from: number) {
      return g.w.sandbox.identity.requests.slice(from).filter((r) => r.method === 'POST');
    },
    /**
     * A token failure: exit 3, stage token, the rule, one POST. The IMAP connection opens while the
     * token is requested (the round trips overlap), but nothing is authenticated without a token.
     */
    async failure(fault: TokenFault | null, rule: string, opts: { hang?: boolean; env?: Record<string, string> } = {}) {
      g.w.sandbox.identity.setFault(fault);
      const before = g.w.sandbox.identity.requests.length;
      const imapBefore = g.w.sandbox.imap.sessions.length;
      const r = await g.run(opts.env);
      const checked = check(r, { code: 3, stage: 'token', rule, hang: opts.hang });
      expect(checked.doc.token.ok).toBe(false);
      expect(checked.result.stages.map((s) => s.name)).toEqual(['token']);
      expect(g.posts(before)).toHaveLength(1);
      expect(checked.doc.token.requests).toBe(1);
      const opened = g.w.sandbox.imap.sessions.slice(imapBefore);
      expect(opened.length).toBeLessThanOrEqual(1);
      for (const session of opened) {
        expect(session.authenticated).toBe(false);
        expect(session.commands.some((c) => /AUTHENTICATE/i.test(c))).toBe(false);
      }
      return { ...checked, error: checked.doc.token.error!, post: g.posts(before)[0]! };
    },
  };
  beforeAll(async () => {
    g.w = await startFaultWorld();
  });
  afterEach(() => g.w.sandbox.identity.setFault(null));
  afterAll(async () => g.w?.close());
  return g;
}

describe.concurrent('token side', () => {
  describe.sequential('token endpoint: every AADSTS code (client secret → identity stand-in)', () => {
    const g = tokenGroup();
    const TABLE: [number, string][] = [
      [700016, 'aadsts-app-not-found'],
      [7000215, 'aadsts-invalid-secret'],
      [7000222, 'aadsts-secret-expired'],
      [7000218, 'aadsts-no-credential'],
      [700027, 'aadsts-certificate-invalid'],
      [700021, 'aadsts-assertion-issuer'],
      [700023, 'aadsts-assertion-audience'],
      [700024, 'aadsts-assertion-time'],
      [90002, 'aadsts-tenant-not-found'],
      [500011, 'aadsts-resource-not-found'],
      [1002012, 'aadsts-scope-not-default'],
      [70011, 'aadsts-scope-not-default'],
      [53003, 'aadsts-conditional-access'],
      [50196, 'aadsts-throttled'],
    ];

    it.each(TABLE)('AADSTS%i → 3, token, %s, with correlation and trace IDs', async (code, rule) => {
      const { error, first, post } = await g.failure({ kind: 'aadsts', code }, rule);
      expect(error).toMatchObject({ kind: 'server', aadsts: code });
      expect(error.correlationId).toMatch(GUID);
      expect(error.traceId).toMatch(GUID);
      // The correlation ID is the one this request carried, which Entra's logs are searched by.
      expect(error.correlationId).toBe(post.query['client-request-id']);
      expect(first.docs).toBe(`https://login.microsoftonline.com/error?code=${code}`);
    });

    it('the real AADSTS7000215 from a wrong secret, too (not a scripted fault)', async () => {
      const { error } = await g.failure(null, 'aadsts-invalid-secret', { env: { IMAP_OAUTH_CLIENT_SECRET: WRONG_SECRET } });
      expect(error).toMatchObject({ aadsts: 7000215, oauthError: 'invalid_client', httpStatus: 401 });
    });

    it('an AADSTS code the table does not know → 3, aadsts-other with the code, its description and the error page', async () => {
      const trace = '0b5f5f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
      const correlation = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
      const description = `AADSTS9999999: A brand-new failure nobody has seen yet. Trace ID: ${trace} Correlation ID: ${correlation} Timestamp: 2026-11-02 10:00:00Z`;
      const body = JSON.stringify({
        error: 'invalid_request', error_description: description, error_codes: [9999999], timestamp: '2026-11-02 10:00:00Z',
        trace_id: trace, correlation_id: correlation, error_uri: 'https://login.microsoftonline.com/error?code=9999999',
      });
      const { error, first } = await g.failure({ kind: 'raw', status: 400, headers: { 'content-type': 'application/json; charset=utf-8' }, body }, 'aadsts-other');
      expect(error).toMatchObject({ kind: 'server', aadsts: 9999999, httpStatus: 400, traceId: trace, correlationId: correlation });
      expect(first.summary).toContain('AADSTS9999999');
      expect(first.cause).toContain('A brand-new failure nobody has seen yet.');
      expect(first.docs).toBe('https://login.microsoftonline.com/error?code=9999999');
      expect(first.fix).toContain('https://login.microsoftonline.com/error?code=9999999');
    });
  });

  describe.sequential('token endpoint: throttling, server errors, transport faults, retries', () => {
    const g = tokenGroup();

    it('429 with Retry-After → 3, aadsts-throttled, retryAfterSeconds kept', async () => {
      const { error, first } = await g.failure({ kind: 'aadsts', code: 50196, retryAfterSeconds: 7 }, 'aadsts-throttled');
      expect(error).toMatchObject({ kind: 'server', httpStatus: 429, retryAfterSeconds: 7, aadsts: 50196 });
      expect(first.fix).toContain('Wait 7 s');
    });

    it('429 with a plain-text body → 3, aadsts-throttled', async () => {
      const { error } = await g.failure({ kind: 'raw', status: 429, headers: { 'content-type': 'text/plain', 'retry-after': '5' }, body: 'Too Many Requests' }, 'aadsts-throttled');
      expect(error).toMatchObject({ kind: 'server', httpStatus: 429, retryAfterSeconds: 5 });
    });

    it('503 with an empty JSON body → 3, aadsts-throttled (an HTTP error, not an empty token)', async () => {
      const { error } = await g.failure({ kind: 'raw', status: 503, headers: { 'content-type': 'application/json', 'retry-after': '3' }, body: '{}' }, 'aadsts-throttled');
      expect(error).toMatchObject({ kind: 'server', httpStatus: 503, retryAfterSeconds: 3 });
    });

    it('500 with an HTML page → 3, aadsts-other naming HTTP 500', async () => {
      const { error, first } = await g.failure({ kind: 'html500' }, 'aadsts-other');
      expect(error).toMatchObject({ kind: 'server', httpStatus: 500 });
      expect(error.timestamp).toBeUndefined();
      expect(first.summary).toContain('HTTP 500');
      expect(first.fix).toMatch(/retry/i);
    });

    it('a hung token endpoint → 3, token-timeout, cut at the deadline', async () => {
      const { error } = await g.failure({ kind: 'hang' }, 'token-timeout', { hang: true });
      expect(error.kind).toBe('timeout');
    });

    it('a connection reset → 3, token-network', async () => {
      const { error } = await g.failure({ kind: 'reset' }, 'token-network');
      expect(error.kind).toBe('network');
    });

    it('200 with an empty access_token → 3, token-empty (never a success)', async () => {
      const { error } = await g.failure({ kind: 'empty-token' }, 'token-empty');
      expect(error).toMatchObject({ kind: 'empty-token', httpStatus: 200 });
    });

    it('--retries 2: 429 with Retry-After: 1, then success → passes after waiting, two POSTs', async () => {
      const before = g.w.sandbox.identity.requests.length;
      const once = g.w.failTokenRequests({ kind: 'aadsts', code: 50196, retryAfterSeconds: 1 }, 1);
      try {
        const r = await g.run({}, '--retries', '2');
        expect(r.code, r.stdout + r.stderr).toBe(0);
        const doc = JSON.parse(r.stdout) as Doc;
        expect(doc.token).toMatchObject({ ok: true, requests: 2 });
        const [first, second] = g.posts(before);
        expect(g.posts(before)).toHaveLength(2);
        expect(second!.at - first!.at).toBeGreaterThanOrEqual(950); // Retry-After honoured
        expect(r.ms).toBeLessThan(1000 + ONE_DEADLINE_MS);
      } finally {
        once.cancel();
      }
    });

    it('--retries 2: AADSTS7000215 is never retried, exactly one POST', async () => {
      const before = g.w.sandbox.identity.requests.length;
      const r = await g.run({ IMAP_OAUTH_CLIENT_SECRET: WRONG_SECRET }, '--retries', '2');
      check(r, { code: 3, stage: 'token', rule: 'aadsts-invalid-secret' });
      expect(g.posts(before)).toHaveLength(1);
    });
  });
});

// ── Never leak ──────────────────────────────────────────────────────────────────────────────────
describe('secrets never leak', () => {
  it('no output of any run above holds a client secret, an issued token or a SASL string', () => {
    expect(runs.length).toBeGreaterThan(40);
    const tokens = [...new Set([...handedOut.worlds.flatMap((w) => w.identity.issuedTokens), ...handedOut.secrets.filter((s) => s.startsWith('eyJ'))])];
    expect(tokens.length).toBeGreaterThan(5);
    const secrets = [WRONG_SECRET, ...handedOut.secrets, ...tokens, ...tokens.map((t) => encodeXoauth2(SANDBOX.user, t))];
    const outputs = runs.flatMap((r) => [r.stdout, r.stderr]);
    expect(findLeak(outputs, secrets)).toBeNull();
  });
});
