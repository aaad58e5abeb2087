// Help that teaches: options in groups (Credential, Connection, Batch, Output, Other), the choices of
// every enumerated value, the environment variable of every setting that has one, an Examples section
// per command whose commands parse — and, where they need no Microsoft account, run for real.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommanderError, type Command } from 'commander';
import { buildProgram, HELP_GROUPS } from '../../src/cli.js';
import { CLOUD_NAMES } from '../../src/config/clouds.js';
import { ENV } from '../../src/config/sources.js';
import { AUTH_MODES, FLOWS } from '../../src/config/validate.js';
import { EXAMPLES } from '../../src/help-examples.js';
import { signJwt } from '../../src/sandbox/jwt.js';
import { runCli } from '../support/cli.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-help-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `test --help` split into its sections: heading → the lines under it. */
function sections(help: string): Map<string, string> {
  const out = new Map<string, string>();
  let heading = '';
  for (const line of help.split('\n')) {
    if (/^[A-Z][A-Za-z ]*:$/.test(line)) heading = line;
    else if (heading) out.set(heading, `${out.get(heading) ?? ''}${line}\n`);
  }
  return out;
}

const optionsIn = (text: string | undefined) => [...(text ?? '').matchAll(/^ {2}(?:-\w, )?(--[a-z0-9-]+)/gm)].map((m) => m[1]!);

describe('imap-oauth test --help', () => {
  let help: string;
  beforeAll(async () => {
    const r = await runCli(['test', '--help'], { env: { COLUMNS: '100' } });
    expect(r.code, r.stderr).toBe(0);
    help = r.stdout;
  });

  it('groups the options under Credential, Connection, Batch, Output and Other, in that order', () => {
    const headings = [...sections(help).keys()];
    const groups = Object.values(HELP_GROUPS);
    expect(headings.filter((h) => (groups as readonly string[]).includes(h))).toEqual(groups);
    // No option is left in commander's catch-all "Options:" group.
    expect(headings).not.toContain('Options:');
    const s = sections(help);
    expect(optionsIn(s.get('Credential:'))).toEqual(expect.arrayContaining(['--tenant', '--client-id', '--client-secret-file', '--cert', '--flow', '--access-token-file', '--token-cache']));
    expect(optionsIn(s.get('Connection:'))).toEqual(expect.arrayContaining(['--user', '--protocol', '--host', '--port', '--timeout', '--ca-file', '--proxy', '--connect-to']));
    expect(optionsIn(s.get('Batch:'))).toEqual(expect.arrayContaining(['--users-file', '--concurrency', '--retries']));
    expect(optionsIn(s.get('Output:'))).toEqual(expect.arrayContaining(['--json', '--jsonl', '--junit', '--nagios', '--verbose']));
    expect(optionsIn(s.get('Other:'))).toEqual(expect.arrayContaining(['--dotenv', '--debug', '--help']));
  });

  it('lists the choices of every enumerated value', () => {
    const flat = help.replace(/\s+/g, ' ');
    expect(flat).toContain(`(choices: ${FLOWS.join(', ')}; default: client-credentials)`);
    expect(flat).toContain(`(choices: ${AUTH_MODES.join(', ')}; default: entra)`);
    expect(flat).toContain(`(choices: ${CLOUD_NAMES.join(', ')}; default: global)`);
    expect(flat).toContain('(choices: imap, pop, smtp; default: imap)');
    expect(flat).toContain('(choices: xoauth2, oauthbearer; default: xoauth2)');
  });

  it('names every environment variable the configuration reads', () => {
    const flat = help.replace(/\s+/g, '');
    for (const name of Object.values(ENV)) expect(flat, name).toContain(name);
    for (const name of ['IMAP_OAUTH_CA_FILE', 'IMAP_OAUTH_TIMEOUT', 'IMAP_OAUTH_CONCURRENCY', 'IMAP_OAUTH_TOKEN_CACHE', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY']) expect(flat).toContain(name);
  });

  it('a near miss still gets its suggestion (no commander choices error)', async () => {
    const r = await runCli(['test', '--flow', 'interactiv', '--user', 'someone@contoso.com']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('did you mean interactive?');
    const cloud = await runCli(['test', '--cloud', 'usgv', '--user', 'someone@contoso.com']);
    expect(cloud.code).toBe(2);
    expect(cloud.stderr).toContain('did you mean usgov?');
  });
});

/** Every command path of the program: "", "test", "cert new", … */
function commandPaths(program: Command): string[] {
  const out: string[] = [];
  const walk = (cmd: Command, path: string) => {
    out.push(path);
    for (const sub of cmd.commands) walk(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  walk(program, '');
  return out;
}

/** The words of one example command as a shell would split them (quotes, redirections, $(…)). */
function words(line: string): string[] {
  const inner = /"\$\((imap-oauth [^)]*)\)"/.exec(line)?.[1];
  const text = (inner ?? line).replace(/\s+#.*$/, '').split(/\s*\|\s*/)[0]!.replace(/\s[<>]\s*\S+/g, '');
  return [...text.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

const exampleCommands = (path: string) => (EXAMPLES[path] ?? []).filter((l) => !l.startsWith('#')).map(words);

describe('Examples', () => {
  const silent = { writeOut: () => undefined, writeErr: () => undefined };

  it('every command has an Examples section in its --help', async () => {
    const paths = commandPaths(buildProgram(async () => undefined, silent));
    for (const path of paths) expect(EXAMPLES[path]?.length, `examples for "${path}"`).toBeGreaterThan(0);
    for (const path of ['test', 'demo', 'explain', 'setup', 'logout', 'completion', 'cert new', 'sasl encode', 'sasl decode']) {
      const r = await runCli([...path.split(' '), '--help']);
      expect(r.code, path).toBe(0);
      expect(r.stdout, path).toContain('\nExamples:\n');
      for (const example of EXAMPLES[path]!) expect(r.stdout).toContain(example);
    }
  });

  it('every example command parses: its command, options and arguments exist', async () => {
    for (const path of Object.keys(EXAMPLES)) {
      for (const argv of exampleCommands(path)) {
        expect(argv[0], argv.join(' ')).toBe('imap-oauth');
        let reached = false;
        const program = buildProgram(async () => void (reached = true), silent);
        try {
          await program.parseAsync(['node', ...argv]);
        } catch (err) {
          throw new Error(`"${argv.join(' ')}" does not parse: ${err instanceof CommanderError ? err.message : String(err)}`);
        }
        expect(reached, argv.join(' ')).toBe(true);
      }
    }
  });

  it('the top-level help written at build time (dist/help.txt) carries them, as --help prints it', async () => {
    const file = readFileSync(new URL('../../dist/help.txt', import.meta.url), 'utf8');
    expect(file).toContain('\nExamples:\n');
    const r = await runCli(['--help']);
    expect(r.stdout).toBe(file);
    for (const example of EXAMPLES['']!) expect(file).toContain(example);
  });

  it('the offline examples run as written', async () => {
    // Files the examples name, in their working directory.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = Math.floor(Date.now() / 1000);
    writeFileSync(join(dir, 'token.txt'), signJwt({ alg: 'RS256', typ: 'JWT' }, { aud: 'https://outlook.office365.com', exp: now + 3600, roles: ['IMAP.AccessAsApp'] }, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()));
    writeFileSync(join(dir, 'mail-client.log'), 'A01 NO AUTHENTICATE failed.\nAADSTS7000215: Invalid client secret provided.\n');
    const expected: Record<string, number> = { 'imap-oauth demo --scenario wrong-secret': 3 };
    const redirected: Record<string, string> = { 'mail-client.log': readFileSync(join(dir, 'mail-client.log'), 'utf8'), 'token.txt': readFileSync(join(dir, 'token.txt'), 'utf8') };
    const offline = ['demo', 'explain', 'setup', 'logout', 'completion', 'cert new', 'sasl encode'];
    for (const path of offline) {
      for (const line of EXAMPLES[path]!.filter((l) => !l.startsWith('#'))) {
        const argv = words(line);
        const from = /\s<\s*(\S+)/.exec(line)?.[1];
        const r = await runCli(argv.slice(1).map((w) => w.replace(/^~\//, `${dir}/`)), { cwd: dir, input: from ? redirected[from] : undefined, timeoutMs: 60_000 });
        expect(r.code, `${line}\n${r.stdout}${r.stderr}`).toBe(expected[argv.join(' ')] ?? 0);
        if (path === 'sasl encode' && !line.includes('oauthbearer')) writeFileSync(join(dir, 'sasl.txt'), r.stdout);
      }
    }
    // decode reads what encode wrote.
    for (const line of EXAMPLES['sasl decode']!.filter((l) => !l.startsWith('#'))) {
      const r = await runCli(words(line).slice(1), { cwd: dir, input: line.includes('<') ? readFileSync(join(dir, 'sasl.txt'), 'utf8') : undefined });
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('someone@contoso.com');
    }
  }, 180_000);
});

describe('completion still lists every option', () => {
  it('each long option of every command is in the bash script', async () => {
    const r = await runCli(['completion', 'bash']);
    expect(r.code).toBe(0);
    const program = buildProgram(async () => undefined, { writeOut: () => undefined, writeErr: () => undefined });
    const walk = (cmd: Command) => {
      for (const opt of cmd.options) if (!opt.hidden && opt.long) expect(r.stdout, `${cmd.name()} ${opt.long}`).toContain(opt.long);
      for (const sub of cmd.commands) walk(sub);
    };
    walk(program);
  });
});
