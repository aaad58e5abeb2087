// The floor for a batch: N sessions of the floor client (bench/floor-client.ts: TLS, greeting,
// AUTHENTICATE XOAUTH2 with SASL-IR, EXAMINE, LOGOUT) at concurrency C in one process with one TLS
// context, and nothing else — no report, no diagnosis. Its CPU per mailbox is what any client must
// spend on this exchange in Node; the CLI's is compared with it (bench/scale.ts).
// Usage: node floor-batch.js HOST PORT CA_FILE TOKEN_FILE N CONCURRENCY → one JSON line on stdout.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { floorSession } from './floor-client.js';

const [host, port, caFile, tokenFile, n, concurrency] = process.argv.slice(2);
const total = Number(n);
const caPem = readFileSync(caFile!, 'utf8');
const token = readFileSync(tokenFile!, 'utf8').trim();
const secureContext = createSecureContext({ ca: [caPem], minVersion: 'TLSv1.2' });
const cpu0 = process.cpuUsage();
const started = performance.now();
let next = 0;
let ok = 0;
let failed = 0;
let firstError = '';
async function worker(): Promise<void> {
  while (next < total) {
    const i = next++;
    try {
      await floorSession({ host: host!, port: Number(port), caPem, secureContext, user: `user${i + 1}@contoso.com`, token, timeoutMs: 30_000 });
      ok++;
    } catch (err) {
      failed++;
      firstError ||= err instanceof Error ? err.message : String(err);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(total, Number(concurrency)) }, worker));
const cpu = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ ms: performance.now() - started, cpuS: (cpu.user + cpu.system) / 1e6, ok, failed, firstError })}\n`);
