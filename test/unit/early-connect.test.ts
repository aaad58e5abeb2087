// EarlyConnection.take(): the socket once, for its own address only, never one that failed.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EarlyConnection } from '../../src/net/early-connect.js';

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('EarlyConnection', () => {
  it('hands its socket over once, and only for the address it connected to', async () => {
    const early = new EarlyConnection('127.0.0.1', port);
    await early.started;
    expect(early.take('127.0.0.1', port + 1)).toBeUndefined();
    expect(early.take('localhost', port)).toBeUndefined();
    const socket = early.take('127.0.0.1', port);
    expect(socket).toBeDefined();
    expect(socket!.isPaused()).toBe(true); // nothing read before TLS takes over
    expect(early.take('127.0.0.1', port)).toBeUndefined();
    socket!.destroy();
  });

  it('gives nothing once the connection failed (the taker connects afresh and meets the error itself)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const early = new EarlyConnection('127.0.0.1', deadPort);
    await new Promise((resolve) => setTimeout(resolve, 100)); // ECONNREFUSED has arrived
    expect(early.take('127.0.0.1', deadPort)).toBeUndefined();
  });

  it('close() drops a socket nobody took', async () => {
    const early = new EarlyConnection('127.0.0.1', port);
    await early.started;
    early.close();
    expect(early.take('127.0.0.1', port)).toBeUndefined();
  });
});
