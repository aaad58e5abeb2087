// Fault servers for the end-to-end fault tests: the sandbox world (identity-platform stand-in +
// Exchange-like IMAP server, both scriptable with setFault), worlds with one Microsoft-side
// mistake, and bare IMAP servers behind a certificate that should not be trusted. Files the CLI
// reads (CA, tokens) go to a temp dir; every secret handed out is remembered for the leak scan.
import { request } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenFault } from '../../src/sandbox/identity-server.js';
import { startImapSandbox, type ImapSandbox } from '../../src/sandbox/imap-server.js';
import { createTestPki } from '../../src/sandbox/pki.js';
import { SANDBOX, startSandbox, type SandboxWorld, type WorldOptions } from '../../src/sandbox/world.js';

export { SANDBOX };

export interface FaultWorld {
  sandbox: SandboxWorld;
  dir: string;
  caFile: string;
  /** Environment for a client-secret run. */
  env: Record<string, string>;
  /** A real token from the identity stand-in (one POST), written to a file. */
  tokenFile(): Promise<{ path: string; token: string }>;
  /** `test` against the sandbox with a client secret (token endpoint and IMAP). */
  secretArgs(...extra: string[]): string[];
  /** `test` against the sandbox IMAP server with a ready token from a file. */
  tokenFileArgs(path: string, ...extra: string[]): string[];
  /**
   * Sets `fault` for the next `times` token POSTs, then clears it. The identity stand-in has no
   * "fail N times" of its own: this watches its request log (same process) and clears the fault
   * once the N-th faulted POST has been answered.
   */
  failTokenRequests(fault: TokenFault, times: number): { done: Promise<void>; cancel(): void };
  close(): Promise<void>;
}

/** Everything secret handed out by any world, for the leak scan. */
export const handedOut: { secrets: string[]; worlds: SandboxWorld[] } = { secrets: [], worlds: [] };

let dirs = 0;

export async function startFaultWorld(options: WorldOptions = {}): Promise<FaultWorld> {
  const sandbox = await startSandbox(options);
  handedOut.worlds.push(sandbox);
  handedOut.secrets.push(sandbox.clientSecret);
  const dir = mkdtempSync(join(tmpdir(), `imap-oauth-faults-${++dirs}-`));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, sandbox.caPem);
  let n = 0;

  const common = () => ['--user', SANDBOX.user, '--host', sandbox.imap.host, '--port', String(sandbox.imap.port), '--ca-file', caFile];

  return {
    sandbox,
    dir,
    caFile,
    env: { IMAP_OAUTH_CLIENT_SECRET: sandbox.clientSecret },
    async tokenFile() {
      const token = await fetchToken(sandbox);
      handedOut.secrets.push(token);
      const path = join(dir, `token-${++n}.txt`);
      writeFileSync(path, `${token}\n`);
      return { path, token };
    },
    secretArgs(...extra) {
      return ['test', ...common(), '--tenant', SANDBOX.tenantId, '--client-id', SANDBOX.clientId, '--authority-host', sandbox.identity.url, '--json', ...extra];
    },
    tokenFileArgs(path, ...extra) {
      return ['test', ...common(), '--access-token-file', path, '--json', ...extra];
    },
    failTokenRequests(fault, times) {
      const identity = sandbox.identity;
      const isPost = (r: { method: string; form?: unknown }) => r.method === 'POST' && r.form !== undefined;
      const start = identity.requests.length;
      identity.setFault(fault);
      let timer: NodeJS.Timeout | undefined;
      const done = new Promise<void>((resolve) => {
        // `form` is set right before the reply is computed and written, in the same tick: once
        // the N-th POST has its form, it has had the fault.
        timer = setInterval(() => {
          if (identity.requests.slice(start).filter(isPost).length >= times) {
            clearInterval(timer);
            identity.setFault(null);
            resolve();
          }
        }, 2);
      });
      return {
        done,
        cancel() {
          clearInterval(timer);
          identity.setFault(null);
        },
      };
    },
    async close() {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The client-credentials POST, made directly (not through the CLI) to get a token for a file. */
function fetchToken(sandbox: SandboxWorld): Promise<string> {
  const body = new URLSearchParams({
    client_id: SANDBOX.clientId,
    client_secret: sandbox.clientSecret,
    scope: 'https://outlook.office365.com/.default',
    grant_type: 'client_credentials',
  }).toString();
  return new Promise((resolve, reject) => {
    const req = request(`${sandbox.identity.url}/${SANDBOX.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      ca: sandbox.caPem,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        const token = (JSON.parse(text) as { access_token?: string }).access_token;
        if (res.statusCode === 200 && token) resolve(token);
        else reject(new Error(`token request failed: HTTP ${res.statusCode}`));
      });
    });
    req.end(body);
  });
}

export interface BadCertServer {
  imap: ImapSandbox;
  caFile: string;
  close(): Promise<void>;
}

/**
 * A sandbox IMAP server whose certificate (signed by a CA written to `caFile`) is for `hosts` and
 * valid in the given window. Never gets as far as a login: the client must refuse it.
 */
export async function startBadCertServer(dir: string, name: string, hosts: string[], validity?: { notBefore: Date; notAfter: Date }): Promise<BadCertServer> {
  const pki = await createTestPki(`imap-oauth ${name} CA`);
  const cert = await pki.issueServerCert(hosts, validity);
  const imap = await startImapSandbox({
    tls: cert,
    verifyToken: () => ({ ok: false, reason: 'never reached' }),
    servicePrincipals: [],
    mailboxes: [],
  });
  const caFile = join(dir, `${name}-ca.pem`);
  writeFileSync(caFile, pki.ca.certPem);
  return { imap, caFile, close: () => imap.close() };
}
