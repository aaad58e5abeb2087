// vitest globalSetup: the end-to-end tests need a real Dovecot. Install it when we can (root + apt-get),
// otherwise fail loudly — a missing Dovecot is never a silent skip.
import { execFileSync, execSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dovecotBinary } from './dovecot.js';

const INSTALL_HINT = 'Dovecot is required for the end-to-end tests: run  sudo apt-get install -y dovecot-imapd';

function hasAptGet(): boolean {
  try {
    accessSync('/usr/bin/apt-get', constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export default function setup(): void {
  if (dovecotBinary()) return;
  if (process.getuid?.() !== 0 || !hasAptGet()) throw new Error(INSTALL_HINT);

  console.log('[global-setup] Dovecot not found: apt-get install -y dovecot-imapd (needed by the end-to-end tests)');
  try {
    execSync('apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd', {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (err) {
    throw new Error(`${INSTALL_HINT} (automatic install failed: ${(err as Error).message.split('\n')[0]})`);
  }
  if (!dovecotBinary()) throw new Error(INSTALL_HINT);

  // The package's postinst may start a system Dovecot on 143/993. Ours use their own ports and
  // base_dir, so it would not interfere, but stop it to keep the machine quiet. Best effort.
  try {
    execFileSync('service', ['dovecot', 'stop'], { stdio: 'ignore' });
  } catch {
    // no init system or not running: fine
  }
}
