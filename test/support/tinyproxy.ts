// A real HTTP proxy for end-to-end tests: Debian's tinyproxy on a free loopback port, allowing
// CONNECT to the given ports only, optionally with Basic authentication. Its log shows which
// CONNECTs went through it. A missing tinyproxy is a failure, never a silent skip.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TinyproxyOptions {
  /** Ports CONNECT may reach (tinyproxy's ConnectPort); others get 403. */
  connectPorts: number[];
  /** Require these credentials (BasicAuth): without them, 407. */
  basicAuth?: { user: string; password: string };
}

export interface Tinyproxy {
  port: number;
  url: string;
  /** The CONNECT requests tinyproxy logged ("host:port"), in order. */
  connects(): string[];
  log(): string;
  stop(): Promise<void>;
}

const BINARY = ['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy'];

export function tinyproxyBinary(): string | null {
  for (const file of BINARY) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  return null;
}

/** A port nothing listens on right now (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startTinyproxy(opts: TinyproxyOptions): Promise<Tinyproxy> {
  const binary = tinyproxyBinary();
  if (!binary) throw new Error('tinyproxy is required for the proxy tests: run  sudo apt-get install -y tinyproxy  (.ci/run installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'imap-oauth-tinyproxy-'));
  // tinyproxy may drop to another user; its log file must stay writable for it.
  chmodSync(dir, 0o777);
  const logFile = join(dir, 'tinyproxy.log');
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    `LogFile "${logFile}"`,
    'LogLevel Connect',
    'MaxClients 50',
    'Allow 127.0.0.1',
    ...opts.connectPorts.map((p) => `ConnectPort ${p}`),
    ...(opts.basicAuth ? [`BasicAuth ${opts.basicAuth.user} ${opts.basicAuth.password}`] : []),
  ].join('\n');
  const confFile = join(dir, 'tinyproxy.conf');
  writeFileSync(confFile, `${config}\n`);
  // -d: stay in the foreground, so the test owns the process and can stop it.
  const child: ChildProcess = spawn(binary, ['-d', '-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const started = Date.now();
  while (!(await accepting(port))) {
    if (child.exitCode !== null || Date.now() - started > 10_000) {
      child.kill('SIGKILL');
      throw new Error(`tinyproxy did not start on port ${port}: ${stderr.trim() || `exit ${child.exitCode}`}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    log,
    connects: () => [...log().matchAll(/Request \(file descriptor \d+\): CONNECT (\S+) HTTP/g)].map((m) => m[1]!),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
