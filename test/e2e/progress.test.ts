// Live progress for one mailbox on a terminal: each stage appears on stderr the moment it ends, then
// the report; nothing extra when stderr is not a terminal, nor with --json. The terminal is a real
// pseudo-terminal from `script` (util-linux's, in Debian's bsdutils package, which is Essential: on
// every Debian machine and in CI).
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki } from '../../src/sandbox/pki.js';
import { BIN, findLeak, runCli } from '../support/cli.js';
import { startE2eWorld, type E2eWorld } from '../support/e2e-world.js';
import { startHostileImap, type HostileImap } from '../support/hostile-imap.js';

const STAGES = ['token', 'connect', 'capability', 'authenticate', 'mailbox', 'logout'];
const quote = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
// Colours off: the assertions read the words, not the escape codes around them.
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', NO_COLOR: '1' };

beforeAll(() => {
  // A missing `script` is a failure, never a silent skip.
  const found = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error('`script` (util-linux) is required for the terminal tests: apt-get install -y bsdutils');
});

interface Terminal {
  /** Everything the terminal showed so far (stdout and stderr, as a person sees them). */
  screen(): string;
  /** Resolves when `text` is on the screen; rejects if the run ends first or after `ms`. */
  waitFor(text: string | RegExp, ms?: number): Promise<void>;
  exited(): boolean;
  done: Promise<number | null>;
  kill(): void;
}

/** Runs the built CLI with stdin, stdout and stderr on a pseudo-terminal. */
function onTerminal(args: string[], env: Record<string, string> = {}): Terminal {
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...ENV, ...env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let text = '';
  let ended = false;
  const waiters: (() => void)[] = [];
  const update = () => waiters.splice(0).forEach((w) => w());
  child.stdout.on('data', (d: Buffer) => ((text += d.toString()), update()));
  child.stderr.on('data', (d: Buffer) => ((text += d.toString()), update()));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => ((ended = true), update(), resolve(code))));
  const screen = () => text.replace(/\r/g, '');
  return {
    screen,
    exited: () => ended,
    done,
    kill: () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    },
    waitFor(wanted, ms = 30_000) {
      const seen = () => (typeof wanted === 'string' ? screen().includes(wanted) : wanted.test(screen()));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not on the terminal within ${ms} ms: ${String(wanted)}\n${screen()}`)), ms);
        const check = () => {
          if (seen()) return clearTimeout(timer), resolve();
          if (ended) return clearTimeout(timer), reject(new Error(`the run ended without showing ${String(wanted)}:\n${screen()}`));
          waiters.push(check);
        };
        check();
      });
    },
  };
}

const stageLine = (name: string, ok = true) => new RegExp(`^  ${ok ? '✔' : '✖'} ${name} +\\d+ ms  \\S`, 'm');

describe('one mailbox on a terminal', () => {
  let world: E2eWorld;
  beforeAll(async () => {
    world = await startE2eWorld();
  });
  afterAll(async () => world?.close());

  it('shows each stage as its own line, in order, then the report', async () => {
    const t = onTerminal(world.args(), { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    expect(await t.done, t.screen()).toBe(0);
    const screen = t.screen();
    expect(screen).toContain(`Checking someone@contoso.com (imap ${world.dovecot.host}:${world.dovecot.port}) …`);
    for (const name of STAGES) expect(screen, name).toMatch(stageLine(name));
    // The live lines come before the report (which lists the stages again, under the mailbox).
    const live = STAGES.map((name) => screen.search(stageLine(name)));
    const report = screen.indexOf('Token  (');
    expect(report).toBeGreaterThan(0);
    for (const at of live) expect(at).toBeLessThan(report);
    expect(screen.indexOf('PASS ')).toBeGreaterThan(report);
    expect(findLeak([screen], [world.secret])).toBeNull();
  });

  it('nothing extra when stderr is not a terminal', async () => {
    const r = await runCli(world.args(), { env: { IMAP_OAUTH_CLIENT_SECRET: world.secret } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('Checking ');
    expect(r.stdout.match(stageLine('connect'))?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it('nothing extra with --json, even on a terminal: the document alone', async () => {
    const t = onTerminal(world.args('--json'), { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    expect(await t.done, t.screen()).toBe(0);
    expect(t.screen()).not.toContain('Checking ');
    expect(JSON.parse(t.screen()).ok).toBe(true);
  });

  it('nothing extra with --nagios: the plugin line alone', async () => {
    const t = onTerminal(world.args('--nagios'), { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    expect(await t.done, t.screen()).toBe(0);
    // The plugin's first line is the first thing shown.
    expect(t.screen()).toMatch(/^IMAP-OAUTH OK/);
    expect(t.screen()).not.toContain('Checking ');
    expect(t.screen()).not.toMatch(stageLine('connect'));
  });

  it('a batch keeps its progress bar instead of stage lines', async () => {
    const t = onTerminal([...world.args(), '--user', 'other@contoso.com'], { IMAP_OAUTH_CLIENT_SECRET: world.secret });
    await t.done;
    expect(t.screen()).not.toContain('Checking ');
    expect(t.screen()).not.toMatch(stageLine('connect'));
  });
});

describe('a server that stops answering', () => {
  let server: HostileImap;
  let caFile: string;
  beforeAll(async () => {
    const pki = await createTestPki('imap-oauth progress CA');
    server = await startHostileImap({ mode: 'stall-auth', tls: await pki.issueServerCert(['localhost', '127.0.0.1']) });
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    caFile = join(mkdtempSync(join(tmpdir(), 'imap-oauth-progress-')), 'ca.pem');
    writeFileSync(caFile, pki.ca.certPem);
  });
  afterAll(async () => server?.close());

  it('the stages done so far are on the terminal while the run still waits', async () => {
    const world = await startE2eWorld();
    try {
      const token = world.tokenFile();
      // A deadline far longer than the test waits: the lines must come while the run hangs.
      const t = onTerminal(['test', '--user', 'someone@contoso.com', '--host', '127.0.0.1', '--port', String(server.port), '--ca-file', caFile, '--access-token-file', token.path, '--timeout', '120']);
      try {
        await t.waitFor(stageLine('capability'));
        expect(t.screen()).toMatch(stageLine('token'));
        expect(t.screen()).toMatch(stageLine('connect'));
        // Still running, authenticate not finished, no report yet.
        expect(t.exited()).toBe(false);
        expect(t.screen()).not.toMatch(/^ {2}[✔✖] authenticate/m);
        expect(t.screen()).not.toContain('FAIL ');
      } finally {
        t.kill();
        await t.done;
      }
    } finally {
      await world.close();
    }
  });
});
