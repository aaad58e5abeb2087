// vitest globalSetup: the end-to-end tests need a real Dovecot. Install it when we can (root + apt-get),
// otherwise fail loudly — a missing Dovecot is never a silent skip.
import { execFileSync, execSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dovecotBinary } from './dovecot.js';

const PACKAGES = 'dovecot-imapd dovecot-pop3d dovecot-submissiond';
const INSTALL_HINT = `Dovecot (IMAP, POP3 and submission) is required for the end-to-end tests: run  sudo apt-get install -y ${PACKAGES}`;

/** The POP3 and submission services' binaries (Debian's dovecot-pop3d, dovecot-submissiond). */
function hasPopAndSubmission(): boolean {
  try {
    for (const f of ['/usr/lib/dovecot/pop3', '/usr/lib/dovecot/submission']) accessSync(f, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasAptGet(): boolean {
  try {
    accessSync('/usr/bin/apt-get', constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export default function setup(): void {
  if (dovecotBinary() && hasPopAndSubmission()) return;
  if (process.getuid?.() !== 0 || !hasAptGet()) throw new Error(INSTALL_HINT);

  console.log(`[global-setup] Dovecot (or its POP3/submission service) not found: apt-get install -y ${PACKAGES} (needed by the end-to-end tests)`);
  try {
    execSync(`apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${PACKAGES}`, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (err) {
    throw new Error(`${INSTALL_HINT} (automatic install failed: ${(err as Error).message.split('\n')[0]})`);
  }
  if (!dovecotBinary() || !hasPopAndSubmission()) throw new Error(INSTALL_HINT);

  // The package's postinst may start a system Dovecot on 143/993. Ours use their own ports and
  // base_dir, so it would not interfere, but stop it to keep the machine quiet. Best effort.
  try {
    execFileSync('service', ['dovecot', 'stop'], { stdio: 'ignore' });
  } catch {
    // no init system or not running: fine
  }
}
