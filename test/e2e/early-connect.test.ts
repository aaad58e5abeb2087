// One check opens its IMAP and token-endpoint connections before it loads imapflow and MSAL
// (src/net/early-connect.ts). Counting forwarders in front of Dovecot and the identity stand-in
// show that each early connection is the one used (no second connection, none left idle), that an
// unused one is closed, and that a batch opens no IMAP connection early.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeak, runCli, type CliRun } from '../support/cli.js';
import { startE2eWorld, type E2eWorld } from '../support/e2e-world.js';

interface Forwarder {
  port: number;
  /** Bytes the client sent on each connection, in the order they were accepted. */
  connections: { clientBytes: number; closed: boolean }[];
  close(): Promise<void>;
}

async function forwarder(targetPort: number): Promise<Forwarder> {
  const connections: Forwarder['connections'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const record = { clientBytes: 0, closed: false };
    connections.push(record);
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => (record.clientBytes += d.length));
    client.on('close', () => {
      record.closed = true;
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let world: E2eWorld;
let imap: Forwarder;
let token: Forwarder;
const runs: CliRun[] = [];

beforeAll(async () => {
  world = await startE2eWorld();
  imap = await forwarder(world.dovecot.port);
  token = await forwarder(world.identity.port);
});

afterAll(async () => {
  expect(findLeak(runs.flatMap((r) => [r.stdout, r.stderr]), [world.secret])).toBeNull();
  await Promise.all([imap?.close(), token?.close()]);
  await world?.close();
});

/** world.args() with the IMAP server and the token endpoint behind the forwarders. */
function args(...extra: string[]): string[] {
  const list = world.args(...extra);
  list[list.indexOf('--port') + 1] = String(imap.port);
  list[list.indexOf('--authority-host') + 1] = `https://localhost:${token.port}`;
  return list;
}

async function cli(list: string[]): Promise<CliRun> {
  const run = await runCli(list, { env: { IMAP_OAUTH_CLIENT_SECRET: world.secret }, cwd: world.dir });
  runs.push(run);
  return run;
}

/** The connections a forwarder accepted during `fn`, once every one of them has closed. */
async function during(f: Forwarder, fn: () => Promise<void>) {
  const before = f.connections.length;
  await fn();
  await expect.poll(() => f.connections.slice(before).every((c) => c.closed), { timeout: 5000 }).toBe(true);
  return f.connections.slice(before);
}

describe('one check: the connections opened before the code that speaks on them is loaded', () => {
  it('uses the early IMAP and token connections: one of each, both carrying the exchange', async () => {
    let run!: CliRun;
    const tokenConnections = await during(token, async () => {
      const imapConnections = await during(imap, async () => {
        run = await cli(args('--json'));
      });
      expect(imapConnections).toHaveLength(1);
      expect(imapConnections[0]!.clientBytes).toBeGreaterThan(0);
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, token: { ok: true, requests: 1 } });
    expect(tokenConnections).toHaveLength(1);
    expect(tokenConnections[0]!.clientBytes).toBeGreaterThan(0);
  });

  it('a token from the cache: the early token connection is closed unused and the run does not wait for it', async () => {
    const cache = join(world.dir, 'early-cache.json');
    expect((await cli(args('--token-cache', cache, '--json'))).code).toBe(0);
    let run!: CliRun;
    const connections = await during(token, async () => {
      run = await cli(args('--token-cache', cache, '--json'));
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).token).toMatchObject({ ok: true, fromCache: true, requests: 0 });
    expect(connections).toEqual([{ clientBytes: 0, closed: true }]);
  });

  it('a ready token opens no token connection at all', async () => {
    const { path } = world.tokenFile();
    const list = args('--json');
    list.splice(list.indexOf('--tenant'), 6); // no --tenant, --client-id, --authority-host
    let run!: CliRun;
    const connections = await during(token, async () => {
      run = await cli([...list, '--access-token-file', path]);
    });
    expect(run.code, run.stderr).toBe(0);
    expect(connections).toHaveLength(0);
  });

  it('an early connection the server drops before TLS: the check connects again and reports the server as it is', async () => {
    // A listener that accepts and closes at once: the early socket fails before imapflow takes it.
    const dropper = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    try {
      const list = args('--json');
      list[list.indexOf('--port') + 1] = String((dropper.address() as { port: number }).port);
      const run = await cli(list);
      expect(run.code).toBe(4);
      const result = JSON.parse(run.stdout).results[0];
      expect(result).toMatchObject({ ok: false, failedStage: 'connect' });
    } finally {
      await new Promise((resolve) => dropper.close(resolve));
    }
  });

  it('a batch opens its IMAP connections as its pool runs (one per mailbox, none early); its one token request uses the early one', async () => {
    const users = join(world.dir, 'early-users.txt');
    writeFileSync(users, 'first@contoso.com\nsecond@contoso.com\n');
    const list = args('--json');
    list.splice(list.indexOf('--user'), 2, '--users-file', users);
    let run!: CliRun;
    let connections: Forwarder['connections'] = [];
    const tokenConnections = await during(token, async () => {
      connections = await during(imap, async () => {
        run = await cli(list);
      });
    });
    expect(run.code, run.stderr).toBe(0);
    expect(connections).toHaveLength(2);
    for (const c of connections) expect(c.clientBytes).toBeGreaterThan(0);
    expect(tokenConnections).toHaveLength(1);
    expect(tokenConnections[0]!.clientBytes).toBeGreaterThan(0);
  });
});
