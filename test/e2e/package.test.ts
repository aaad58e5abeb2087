// The package as a newcomer gets it: pack a clean copy of the sources (nothing built: `prepare`
// must build), install the tarball with production dependencies only into an empty directory,
// then run the installed command and import the package entry from there.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
// npm run by `npm test` passes its own npm_* settings down; the commands here get a clean slate.
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' };

function run(cmd: string, args: string[], cwd: string, timeoutMs = 240_000) {
  const r = spawnSync(cmd, args, { cwd, env: ENV, encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let work: string;
let tarball: string;
let files: string[];
let app: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'imap-oauth-package-'));
  // A clean clone: the tracked (and new, not ignored) files only — no dist/.
  const src = join(work, 'src-copy');
  const list = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of list) {
    try {
      mkdirSync(dirname(join(src, f)), { recursive: true });
      cpSync(join(ROOT, f), join(src, f));
    } catch {
      // a file deleted in the work tree but still tracked: a clone would not have it either
    }
  }
  expect(list).not.toContain('dist/cli.js');
  // The dev dependencies prepare needs (tsc), as `npm install` in the clone would have them.
  symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
  const packed = run('npm', ['pack', '--json', '--pack-destination', work, '--no-audit', '--no-fund'], src);
  expect(packed.code, packed.stderr).toBe(0);
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info[0]!.filename);
  files = info[0]!.files.map((f) => f.path);

  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "a-user-project", "private": true, "type": "module" }\n');
  // --prefer-offline: the cache `npm ci` filled serves the dependencies; the registry only for what it lacks.
  const installed = run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
  expect(installed.code, installed.stderr).toBe(0);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships the built CLI, its help text, the declarations and the licence', () => {
    for (const f of ['bin/imap-oauth.js', 'dist/cli.js', 'dist/help.txt', 'dist/index.js', 'dist/index.d.ts', 'LICENSE', 'package.json', 'README.md']) expect(files).toContain(f);
    // Sources, tests and local settings stay out.
    expect(files.filter((f) => /^(src|test|scripts|bench|\.ci)\/|\.env$/.test(f))).toEqual([]);
  });

  it('installs with production dependencies only: no TypeScript, no test runner', () => {
    const modules = readdirSync(join(app, 'node_modules'));
    expect(modules).toContain('imap-oauth');
    expect(modules).toContain('imapflow');
    expect(modules).not.toContain('typescript');
    expect(modules).not.toContain('vitest');
  });

  it('imap-oauth --version and --help answer from the install', () => {
    const bin = join(app, 'node_modules', '.bin', 'imap-oauth');
    const version = run(bin, ['--version'], app, 30_000);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toBe(`${pkg.version}\n`);
    const help = run(bin, ['--help'], app, 30_000);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('imap-oauth demo');
    expect(help.stderr).not.toContain('not built');
  });

  it('imap-oauth demo passes from the install', () => {
    const demo = run(join(app, 'node_modules', '.bin', 'imap-oauth'), ['demo'], app, 60_000);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/PASS {2}someone@contoso\.com/);
  });

  it("a user's program imports the package entry, with its declarations", () => {
    const script = "import { version, ExitCode } from 'imap-oauth'; console.log(JSON.stringify({ version, auth: ExitCode.AUTH_REJECTED }));";
    const r = run(process.execPath, ['--input-type=module', '-e', script], app, 30_000);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ version: pkg.version, auth: 6 });
    const dts = readFileSync(join(app, 'node_modules', 'imap-oauth', 'dist', 'index.d.ts'), 'utf8');
    expect(dts).toMatch(/version: string/);
    expect(dts).toContain('ExitCode');
  });
});
