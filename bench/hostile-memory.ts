// `npm run bench:hostile`: peak memory, CPU and wall time of the CLI against each hostile server of
// the end-to-end tests (test/support/hostile-*.ts), beside a clean run and `node -e 0`, under GNU
// time. The README's memory statement comes from this table. Not a test: nothing here asserts.
//
// Knobs: BENCH_HOSTILE_RUNS (3: the peak of N runs is reported).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signJwt } from '../src/sandbox/jwt.js';
import { createTestPki } from '../src/sandbox/pki.js';
import { startHostileImap, type HostileImapMode } from '../test/support/hostile-imap.js';
import { startHostileToken, type HostileTokenMode } from '../test/support/hostile-token.js';
import { GNU_TIME, killAllChildren, rssFileIn, runChild, type ChildRun } from './proc.js';

const BIN = fileURLToPath(new URL('../../../bin/imap-oauth.js', import.meta.url));
const RUNS = Math.max(1, Math.min(20, Number(process.env.BENCH_HOSTILE_RUNS ?? 3) || 3));
const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const CLIENT_ID = '3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21';

interface Row {
  name: string;
  exit: number | null;
  rssMb: number;
  cpuS: number;
  wallS: number;
}

async function main(): Promise<void> {
  if (!GNU_TIME) throw new Error('GNU time (/usr/bin/time) is needed for peak RSS: apt-get install time');
  const dir = mkdtempSync(join(tmpdir(), 'imap-oauth-bench-hostile-'));
  const pki = await createTestPki('bench hostile CA');
  const cert = await pki.issueServerCert(['localhost', '127.0.0.1']);
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pki.ca.certPem);
  const now = Math.floor(Date.now() / 1000);
  const token = signJwt(
    { alg: 'RS256', typ: 'JWT', kid: 'bench' },
    { aud: 'https://outlook.office365.com', iss: `https://sts.windows.net/${TENANT}/`, iat: now, nbf: now, exp: now + 3600, appid: CLIENT_ID, tid: TENANT, roles: ['IMAP.AccessAsApp'], ver: '1.0' },
    generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  );
  const tokenFile = join(dir, 'token.txt');
  writeFileSync(tokenFile, token);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, IMAP_OAUTH_CLIENT_SECRET: 'Hq8Q~bench-secret-0123456789abcdefghijkl' };
  let n = 0;
  const measure = async (name: string, cmd: string, args: string[]): Promise<Row> => {
    const runs: ChildRun[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await runChild(cmd, args, { env, cwd: dir, timeoutMs: 60_000, rssFile: rssFileIn(dir, ++n) }));
    const peak = runs.reduce((a, b) => ((b.maxRssKb ?? 0) > (a.maxRssKb ?? 0) ? b : a));
    return { name, exit: peak.timedOut ? null : peak.code, rssMb: (peak.maxRssKb ?? 0) / 1024, cpuS: Math.max(...runs.map((r) => r.cpuS ?? 0)), wallS: Math.max(...runs.map((r) => r.ms)) / 1000 };
  };
  const rows: Row[] = [await measure('node -e 0', process.execPath, ['-e', '0'])];
  const version = await runChild(process.execPath, [BIN, '--version'], { env, cwd: dir, timeoutMs: 30_000 });
  if (version.code !== 0) throw new Error(`${BIN} does not run (npm run build first?): ${version.stderr.trim()}`);
  const imapCases: [string, HostileImapMode, string[]][] = [
    ['clean login (echo-accept)', 'echo-accept', []],
    ['echo of the SASL string, then NO', 'echo', []],
    ['{900000000} literal during AUTHENTICATE', 'literal-auth', []],
    ['{900000000} literal, --concurrency 3', 'literal-auth', ['--user', 'b@contoso.com', '--user', 'c@contoso.com', '--concurrency', '3']],
    ['endless line during AUTHENTICATE', 'long-line-auth', []],
    ['endless CAPABILITY line', 'endless-capability', []],
    ['endless greeting line', 'endless-greeting', []],
    ['flood of untagged lines (--verbose --json)', 'flood-greeting', ['--verbose', '--json']],
    ['stall after AUTHENTICATE (--timeout 3)', 'stall-auth', []],
  ];
  for (const [name, mode, extra] of imapCases) {
    const server = await startHostileImap({ mode, tls: cert });
    try {
      rows.push(await measure(`IMAP: ${name}`, process.execPath, [BIN, 'test', '--user', 'someone@contoso.com', '--host', '127.0.0.1', '--port', String(server.port), '--ca-file', caFile, '--access-token-file', tokenFile, '--timeout', '3', ...extra]));
    } finally {
      await server.close();
    }
  }
  const tokenCases: [string, HostileTokenMode][] = [
    ['endless reply body', 'endless-body'],
    ['Content-Length of 2.5 GB', 'huge-length'],
    ['echo of the request', 'echo'],
  ];
  for (const [name, mode] of tokenCases) {
    const server = await startHostileToken({ mode, tls: cert });
    try {
      rows.push(await measure(`token endpoint: ${name}`, process.execPath, [BIN, 'test', '--user', 'someone@contoso.com', '--tenant', TENANT, '--client-id', CLIENT_ID, '--authority-host', server.url, '--host', '127.0.0.1', '--port', '9', '--ca-file', caFile, '--timeout', '3']));
    } finally {
      await server.close();
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'case'.padEnd(w)}  exit  peak RSS   CPU     wall   (worst of ${RUNS} runs)`);
  for (const r of rows) console.log(`${r.name.padEnd(w)}  ${String(r.exit ?? 'KILL').padStart(4)}  ${r.rssMb.toFixed(1).padStart(6)} MB  ${r.cpuS.toFixed(2)} s  ${r.wallS.toFixed(2)} s`);
  const base = rows.find((r) => r.name.startsWith('IMAP: clean'))!.rssMb;
  const worst = rows.filter((r) => r.name !== 'node -e 0').reduce((a, b) => (b.rssMb > a.rssMb ? b : a));
  console.log(`\nworst peak: ${worst.rssMb.toFixed(1)} MB (${worst.name}), ${(worst.rssMb / base).toFixed(2)}× a clean login`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    killAllChildren();
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
