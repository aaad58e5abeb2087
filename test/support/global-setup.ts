// vitest globalSetup: the end-to-end tests start real servers and tools (Dovecot with POP3 and
// submission, tinyproxy, microsocks, promtool, Chromium, zsh). Install what is missing when we can
// (root + apt-get, as `bash .ci/run` does), otherwise fail loudly — a missing server is never a
// silent skip.
import { execFileSync, execSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Debian package → a file it installs that the tests need. */
const NEEDED: ReadonlyArray<readonly [pkg: string, file: string]> = [
  ['dovecot-imapd', '/usr/sbin/dovecot'],
  ['dovecot-pop3d', '/usr/lib/dovecot/pop3'],
  ['dovecot-submissiond', '/usr/lib/dovecot/submission'],
  ['tinyproxy', '/usr/bin/tinyproxy'],
  ['microsocks', '/usr/bin/microsocks'],
  ['prometheus', '/usr/bin/promtool'],
  ['chromium', '/usr/bin/chromium'],
  ['zsh', '/usr/bin/zsh'],
];

const present = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const hint = (pkgs: string[]) => `the end-to-end tests need real servers and tools: run  sudo apt-get install -y ${pkgs.join(' ')}  (or  sudo bash .ci/run)`;

export default function setup(): void {
  const missing = NEEDED.filter(([, file]) => !present(file)).map(([pkg]) => pkg);
  if (!missing.length) return;
  if (process.getuid?.() !== 0 || !present('/usr/bin/apt-get')) throw new Error(hint(missing));

  console.log(`[global-setup] not installed: ${missing.join(' ')}; apt-get install -y ${missing.join(' ')}`);
  try {
    execSync(`apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (err) {
    throw new Error(`${hint(missing)} (automatic install failed: ${(err as Error).message.split('\n')[0]})`);
  }
  const still = NEEDED.filter(([, file]) => !present(file)).map(([pkg]) => pkg);
  if (still.length) throw new Error(hint(still));

  // The packages' postinst may start system services on their usual ports. Ours use their own
  // ports and directories, so they would not interfere, but stop them to keep the machine quiet.
  for (const service of ['dovecot', 'tinyproxy', 'prometheus']) {
    try {
      execFileSync('service', [service, 'stop'], { stdio: 'ignore' });
    } catch {
      // no init system or not running: fine
    }
  }
}
