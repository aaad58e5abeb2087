// The floor, measured: the least an IMAP client can do for this check, written against the socket.
// TCP + TLS → greeting (capabilities in it) → AUTHENTICATE XOAUTH2 <initial response> → EXAMINE →
// LOGOUT, each step waiting only for its tagged reply. Run inside the bench process (no process
// start-up), it shows what the delay proxy turns 6 round trips into.
import * as tls from 'node:tls';

export interface FloorOptions {
  host: string;
  port: number;
  caPem: string;
  /** One context for many sessions (a batch): `ca` would build and parse one per connection. */
  secureContext?: tls.SecureContext;
  user: string;
  token: string;
  folder?: string;
  timeoutMs?: number;
}

export interface FloorResult {
  ms: number;
  /** What was said, the SASL string replaced. */
  transcript: string[];
  exists?: number;
}

export function floorSession(opts: FloorOptions): Promise<FloorResult> {
  const started = performance.now();
  const transcript: string[] = [];
  const sasl = Buffer.from(`user=${opts.user}\x01auth=Bearer ${opts.token}\x01\x01`).toString('base64');
  const steps: { tag: string; command: string; shown: string }[] = [
    { tag: 'a', command: `a AUTHENTICATE XOAUTH2 ${sasl}`, shown: 'a AUTHENTICATE XOAUTH2 <redacted>' },
    { tag: 'b', command: `b EXAMINE ${opts.folder ?? 'INBOX'}`, shown: `b EXAMINE ${opts.folder ?? 'INBOX'}` },
    { tag: 'c', command: 'c LOGOUT', shown: 'c LOGOUT' },
  ];
  return new Promise<FloorResult>((resolve, reject) => {
    const trust = opts.secureContext ? { secureContext: opts.secureContext } : { ca: [opts.caPem] };
    const socket = tls.connect({ host: opts.host, port: opts.port, ...trust, minVersion: 'TLSv1.3' });
    let buffer = '';
    let step = -1; // -1: waiting for the greeting
    let exists: number | undefined;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve({ ms: performance.now() - started, transcript, exists });
    };
    const timer = setTimeout(() => finish(new Error(`floor client: no answer within ${opts.timeoutMs ?? 10_000} ms (step ${step})`)), opts.timeoutMs ?? 10_000);
    const send = (i: number) => {
      step = i;
      transcript.push(`C: ${steps[i]!.shown}`);
      socket.write(`${steps[i]!.command}\r\n`);
    };
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error(`floor client: connection closed at step ${step}`)));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      // At most as many lines as the chunk holds.
      for (let i = buffer.indexOf('\r\n'); i >= 0 && !settled; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        transcript.push(`S: ${line.length > 160 ? `${line.slice(0, 160)}…` : line}`);
        const m = /^\* (\d+) EXISTS/.exec(line);
        if (m) exists = Number(m[1]);
        if (step === -1) {
          if (!line.startsWith('* OK')) return finish(new Error(`floor client: greeting ${line}`));
          if (!/SASL-IR/.test(line) || !/AUTH=XOAUTH2/.test(line)) return finish(new Error('floor client: the greeting carries no SASL-IR / AUTH=XOAUTH2 capability'));
          send(0);
          continue;
        }
        const current = steps[step]!;
        if (line.startsWith(`${current.tag} `)) {
          if (!line.startsWith(`${current.tag} OK`)) return finish(new Error(`floor client: ${line}`));
          if (step + 1 < steps.length) send(step + 1);
          else return finish();
        }
      }
    });
  });
}
