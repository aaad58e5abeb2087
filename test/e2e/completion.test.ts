// `imap-oauth completion bash|zsh|powershell`: each script parses in its shell, and completes like
// the program it was generated from — bash through its own completion variables (COMP_WORDS /
// COMP_CWORD), zsh with compadd and _files stood in for, PowerShell (no pwsh here) by its text.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../src/sandbox/scenarios.js';
import { runCli } from '../support/cli.js';

let dir: string;
const scripts: Record<string, string> = {};
const hasZsh = spawnSync('zsh', ['-c', 'true']).status === 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-completion-'));
  for (const shell of ['bash', 'zsh', 'powershell']) {
    const r = await runCli(['completion', shell]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    scripts[shell] = r.stdout;
    writeFileSync(join(dir, `completion.${shell}`), r.stdout);
  }
  writeFileSync(join(dir, 'corp-ca.pem'), '');
  writeFileSync(join(dir, 'corp-other.txt'), '');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sh(shell: 'bash' | 'zsh', code: string): string {
  const r = spawnSync(shell, ['-c', code], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

const quote = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;

/** What bash completes for the words typed so far (the last one under the cursor). */
function bashComplete(words: string[]): string[] {
  const out = sh('bash', `source ./completion.bash; COMP_WORDS=(${words.map(quote).join(' ')}); COMP_CWORD=${words.length - 1}; _imap_oauth; printf '%s\\n' "\${COMPREPLY[@]}"`);
  return out.split('\n').filter(Boolean).sort();
}

function zshComplete(words: string[]): string[] {
  const out = sh('zsh', `compadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }; _files() { print -- '(files)'; }; source ./completion.zsh; words=(${words.map(quote).join(' ')}); CURRENT=${words.length}; _imap_oauth`);
  // compadd offers all candidates and zsh keeps those matching the word typed; so does this.
  const typed = words[words.length - 1]!;
  return out.split('\n').filter((w) => w && (w === '(files)' || w.startsWith(typed))).sort();
}

const CASES: [string[], (got: string[]) => void][] = [
  [['imap-oauth', ''], (got) => expect(got).toEqual(expect.arrayContaining(['test', 'demo', 'explain', 'setup', 'cert', 'sasl', 'completion']))],
  [['imap-oauth', 'te'], (got) => expect(got).toEqual(['test'])],
  [['imap-oauth', 'test', '--fl'], (got) => expect(got).toEqual(['--flow'])],
  [['imap-oauth', 'test', '--flow', ''], (got) => expect(got).toEqual(['client-credentials', 'device-code', 'interactive', 'refresh-token'])],
  [['imap-oauth', 'test', '--flow', 'dev'], (got) => expect(got).toEqual(['device-code'])],
  [['imap-oauth', 'test', '--cloud', 'usg'], (got) => expect(got).toEqual(['usgov', 'usgov-dod'])],
  [['imap-oauth', 'test', '--user', 'a@contoso.com', '--cl'], (got) => expect(got).toEqual(expect.arrayContaining(['--client-id', '--cloud']))],
  // "demo" is the value of --user here, not the demo command.
  [['imap-oauth', 'test', '--user', 'demo', '--sc'], (got) => expect(got).toEqual(['--scope'])],
  [['imap-oauth', 'test', '--user', ''], (got) => expect(got).toEqual([])],
  [['imap-oauth', 'cert', ''], (got) => expect(got).toEqual(['new'])],
  [['imap-oauth', 'cert', 'new', '--'], (got) => expect(got).toEqual(['--days', '--force', '--help', '--out', '--subject'])],
  [['imap-oauth', 'sasl', 'encode', '--mech', ''], (got) => expect(got).toEqual(['oauthbearer', 'xoauth2'])],
  [['imap-oauth', 'demo', '--scenario', 'no-'], (got) => expect(got).toEqual(SCENARIOS.map((s) => s.name).filter((n) => n.startsWith('no-')).sort())],
  [['imap-oauth', 'completion', ''], (got) => expect(got).toEqual(['bash', 'powershell', 'zsh'])],
];

describe('bash', () => {
  it('parses (bash -n)', () => {
    expect(sh('bash', 'bash -n ./completion.bash && echo parsed')).toBe('parsed\n');
  });
  it('registers the function for imap-oauth', () => {
    expect(sh('bash', 'source ./completion.bash; complete -p imap-oauth')).toContain('-F _imap_oauth imap-oauth');
  });
  it.each(CASES)('%j', (words, check) => check(bashComplete(words)));
  it('--ca-file completes file names', () => {
    expect(bashComplete(['imap-oauth', 'test', '--ca-file', 'corp-c'])).toEqual(['corp-ca.pem']);
  });
});

// zsh is installed by .ci/run; locally a missing zsh is reported as skipped, never hidden.
describe.skipIf(!hasZsh && process.env.CI !== 'true')('zsh', () => {
  it('parses (zsh -n)', () => {
    expect(sh('zsh', 'zsh -n ./completion.zsh && echo parsed')).toBe('parsed\n');
  });
  it.each(CASES)('%j', (words, check) => check(zshComplete(words)));
  it('--ca-file hands over to _files', () => {
    expect(zshComplete(['imap-oauth', 'test', '--ca-file', ''])).toEqual(['(files)']);
  });
  it('does not clobber $path (PATH) while completing', () => {
    expect(sh('zsh', `compadd() { :; }; source ./completion.zsh; words=(imap-oauth test ''); CURRENT=3; _imap_oauth; print -- $PATH`).trim()).toBe(process.env.PATH ?? '/usr/bin:/bin');
  });
});

describe('powershell (text: no pwsh on this machine)', () => {
  it('registers a native completer for the npm shims and carries the command tables', () => {
    const ps = scripts.powershell!;
    expect(ps).toMatch(/^Register-ArgumentCompleter -Native -CommandName 'imap-oauth', 'imap-oauth.cmd', 'imap-oauth.ps1' -ScriptBlock \{/m);
    expect(ps).toContain("'cert' = @('new')");
    expect(ps).toContain("'test|--flow' = @('client-credentials', 'device-code', 'interactive', 'refresh-token')");
    expect(ps).toContain("'test|--ca-file' = '@files'");
    expect(ps).toContain('[System.Management.Automation.CompletionResult]::new(');
    // Braces and parentheses balance (a cheap syntax check in the absence of a parser).
    for (const [open, close] of [['{', '}'], ['(', ')'], ['[', ']']] as const) {
      expect(ps.split(open).length, open).toBe(ps.split(close).length);
    }
  });
});

it('an unknown shell is a one-line usage error', async () => {
  const r = await runCli(['completion', 'fish']);
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain('bash, zsh, powershell');
});
