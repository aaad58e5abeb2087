// A real SOCKS5 proxy for end-to-end tests: Debian's microsocks on a free loopback port, with a
// user name and password (RFC 1929) so that a run without them is refused (and so provably used).
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from './tinyproxy.js';

export interface Microsocks {
  port: number;
  stop(): Promise<void>;
}

export async function startMicrosocks(auth: { user: string; password: string }): Promise<Microsocks> {
  try {
    accessSync('/usr/bin/microsocks', constants.X_OK);
  } catch {
    throw new Error('microsocks is required for the SOCKS5 tests: run  sudo apt-get install -y microsocks  (.ci/run installs it)');
  }
  const port = await freePort();
  const child = spawn('/usr/bin/microsocks', ['-i', '127.0.0.1', '-p', String(port), '-u', auth.user, '-P', auth.password], { stdio: 'ignore' });
  const started = Date.now();
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() - started > 10_000) {
      child.kill('SIGKILL');
      throw new Error(`microsocks did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    port,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    },
  };
}
