// --ca-file adds to the trust the run already has. Each case runs in its own Node process, because
// NODE_EXTRA_CA_CERTS and --use-openssl-ca are read at start-up: the built trustContext() is given
// CA B (as --ca-file would) and must then trust servers of CA A (from the environment) and of B.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki } from '../../src/sandbox/pki.js';

let dir: string;
let servers: Server[] = [];
const ports: Record<'a' | 'b' | 'c', number> = { a: 0, b: 0, c: 0 };
let caA: string;

const SCRIPT = `
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
const { trustContext } = await import(process.argv[2]);
const context = trustContext(readFileSync(process.argv[3], 'utf8'));
const ports = JSON.parse(process.argv[4]);
const out = {};
for (const [name, port] of Object.entries(ports)) {
  out[name] = await new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext: context }, () => { resolve('trusted'); s.destroy(); });
    s.on('error', (e) => resolve(e.code));
  });
}
console.log(JSON.stringify(out));
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-trust-'));
  const pkis = await Promise.all(['A', 'B', 'C'].map((n) => createTestPki(`trust test CA ${n}`)));
  caA = join(dir, 'a.pem');
  writeFileSync(caA, pkis[0]!.ca.certPem);
  writeFileSync(join(dir, 'b.pem'), pkis[1]!.ca.certPem);
  writeFileSync(join(dir, 'check.mjs'), SCRIPT);
  const names = ['a', 'b', 'c'] as const;
  await Promise.all(
    pkis.map(async (pki, i) => {
      const cert = await pki.issueServerCert(['localhost']);
      const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (s) => s.end());
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      ports[names[i]!] = (server.address() as { port: number }).port;
    }),
  );
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
  rmSync(dir, { recursive: true, force: true });
});

// Asynchronous: the TLS servers live in this process and must keep answering meanwhile.
async function check(nodeArgs: string[], env: Record<string, string>): Promise<Record<string, string>> {
  const lib = new URL('../../dist/tls-trust.js', import.meta.url).href;
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeArgs, join(dir, 'check.mjs'), lib, join(dir, 'b.pem'), JSON.stringify(ports)], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    timeout: 20_000,
  });
  return JSON.parse(stdout) as Record<string, string>;
}

describe('--ca-file adds to the run\'s trust', () => {
  it('alone: its CA is trusted, others are not', async () => {
    const r = await check([], {});
    expect(r.b).toBe('trusted');
    expect(r.a).not.toBe('trusted');
    expect(r.c).not.toBe('trusted');
  });

  it('with NODE_EXTRA_CA_CERTS: both are trusted (the extra CA is not replaced)', async () => {
    const r = await check([], { NODE_EXTRA_CA_CERTS: caA });
    expect(r).toMatchObject({ a: 'trusted', b: 'trusted' });
    expect(r.c).not.toBe('trusted');
  });

  it('with --use-openssl-ca: the OpenSSL store (here SSL_CERT_FILE) is kept', async () => {
    const r = await check(['--use-openssl-ca'], { SSL_CERT_FILE: caA });
    expect(r).toMatchObject({ a: 'trusted', b: 'trusted' });
    expect(r.c).not.toBe('trusted');
  });
});
