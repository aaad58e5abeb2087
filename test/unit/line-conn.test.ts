// The bounds of the line connection against hostile in-process servers: over-long lines, endless
// replies, silence, bytes injected before STARTTLS's TLS, an abort, and a last line before FIN.
import { afterEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { LineConn, WireError } from '../../src/probe/line-conn.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A plain TCP server that writes `script` to every client, then does `then`. */
async function hostile(script: string | Buffer, then: 'hang' | 'close' = 'hang'): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(script);
    if (then === 'close') socket.end();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const connections = new Set<net.Socket>();
  server.on('connection', (s) => (connections.add(s), s.on('close', () => connections.delete(s))));
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => (connections.forEach((s) => s.destroy()), close(cb))) as typeof server.close;
  return (server.address() as net.AddressInfo).port;
}

async function open(port: number, signal?: AbortSignal): Promise<{ conn: LineConn; lines: string[] }> {
  const lines: string[] = [];
  const conn = await LineConn.open('plain', { host: '127.0.0.1', port }, { host: 'localhost' }, 1000, { onLine: (_d, t) => lines.push(t), signal, maxLineBytes: 1024, maxReplyLines: 10 });
  return { conn, lines };
}

const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: WireError) => e.code);

describe('LineConn', () => {
  it('refuses a line longer than the bound, even without a newline yet', async () => {
    const { conn } = await open(await hostile('x'.repeat(5000)));
    expect(await code(conn.readLine())).toBe('LINE_TOO_LONG');
    conn.close();
  });

  it('refuses a multi-line reply longer than the bound', async () => {
    const { conn } = await open(await hostile('250-x\r\n'.repeat(50)));
    expect(await code(conn.readSmtpReply())).toBe('REPLY_TOO_LONG');
    conn.close();
  });

  it('times out at the stage deadline, however the server trickles', async () => {
    const { conn } = await open(await hostile('220-one\r\n'));
    conn.setDeadline(150);
    expect(await code(conn.readSmtpReply())).toBe('ETIMEDOUT');
  });

  it('reads the last line a server sends before it closes, then reports the close', async () => {
    const { conn } = await open(await hostile('-ERR bye\r\n', 'close'));
    await new Promise((r) => setTimeout(r, 50));
    expect(await conn.readLine()).toBe('-ERR bye');
    expect(await code(conn.readLine())).toBe('ECONNCLOSED');
  });

  it('bytes received after the STARTTLS reply, before TLS, end the connection', async () => {
    const { conn } = await open(await hostile('220 2.0.0 ready\r\n250 injected\r\n'));
    expect((await conn.readSmtpReply()).code).toBe(220);
    await new Promise((r) => setTimeout(r, 50));
    expect(await code(conn.startTls({ host: 'localhost' }, 500))).toBe('STARTTLS_INJECTION');
  });

  it('a TLS handshake with a plain-text server fails with a one-line TLS error', async () => {
    const port = await hostile('+OK plain text here\r\n');
    const e = await LineConn.open('tls', { host: '127.0.0.1', port }, { host: 'localhost' }, 1000, { onLine: () => undefined }).then(() => null, (err: WireError) => err);
    expect(e?.code).toMatch(/^ERR_SSL_|ECONNRESET/);
    expect(e?.message).not.toMatch(/\n/);
  });

  it('an abort ends a pending read at once', async () => {
    const ac = new AbortController();
    const { conn } = await open(await hostile(''), ac.signal);
    const pending = code(conn.readLine());
    ac.abort();
    expect(await pending).toBe('ABORTED');
  });

  it('never sends a command with a line break in it', async () => {
    const { conn } = await open(await hostile(''));
    expect(() => conn.send('MAIL FROM:<a@b>\r\nRCPT TO:<c@d>')).toThrow(WireError);
    conn.close();
  });
});
