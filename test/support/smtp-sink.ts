// A tiny plain SMTP server that accepts everything and records it: the relay Dovecot's submission
// service hands mail to in the tests, so a test can tell whether a message was really sent.
import * as net from 'node:net';

export interface SinkSession {
  /** Every command line as received (DATA content excluded). */
  commands: string[];
  messages: { from: string; to: string[]; data: string }[];
}

export interface SmtpSink {
  host: string;
  port: number;
  sessions: SinkSession[];
  /** Every message received, across sessions. */
  messages(): SinkSession['messages'];
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const sessions: SinkSession[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const session: SinkSession = { commands: [], messages: [] };
    sessions.push(session);
    let buf = '';
    let data: string[] | null = null;
    let from = '';
    let to: string[] = [];
    const send = (line: string) => socket.writable && socket.write(`${line}\r\n`);
    send('220 sink.test ESMTP ready');
    socket.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (data) {
          if (line !== '.') data.push(line.startsWith('.') ? line.slice(1) : line);
          else {
            session.messages.push({ from, to, data: data.join('\r\n') });
            data = null;
            send('250 2.0.0 queued');
          }
          continue;
        }
        session.commands.push(line);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') ['250-sink.test', '250-PIPELINING', '250-8BITMIME', '250 ENHANCEDSTATUSCODES'].forEach(send);
        else if (verb === 'MAIL') (from = /<([^>]*)>/.exec(line)?.[1] ?? ''), (to = []), send('250 2.1.0 ok');
        else if (verb === 'RCPT') to.push(/<([^>]*)>/.exec(line)?.[1] ?? ''), send('250 2.1.5 ok');
        else if (verb === 'DATA') (data = []), send('354 go ahead');
        else if (verb === 'QUIT') send('221 2.0.0 bye'), socket.end();
        else send('250 2.0.0 ok');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    sessions,
    messages: () => sessions.flatMap((s) => s.messages),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
