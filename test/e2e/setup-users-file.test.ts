// `imap-oauth setup --users-file`: the built CLI prints one script for every mailbox (a list and a
// foreach loop), from a file or standard input; a line that is not an address is exit 2, one line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const CLIENT_ID = '3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21';
const users = Array.from({ length: 30 }, (_, i) => `user${i + 1}@contoso.com`);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-setup-e2e-'));
  writeFileSync(join(dir, 'mailboxes.txt'), `# shared mailboxes\n${users.join('\n')}\n`);
  writeFileSync(join(dir, 'bad.csv'), `UserPrincipalName,DisplayName\n${users[0]},One\nuser two@contoso.com,Two\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const setup = (extra: string[], input?: string) => runCli(['setup', '--client-id', CLIENT_ID, '--tenant', 'contoso.onmicrosoft.com', ...extra], { cwd: dir, ...(input !== undefined ? { input } : {}) });

describe('setup --users-file', () => {
  it('30 mailboxes from a file: one list, one foreach per step, the test line naming the file', async () => {
    const run = await setup(['--users-file', 'mailboxes.txt']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const s = run.stdout;
    expect(s).toContain(`$Mailboxes = @(\n${users.map((u) => `    '${u}'`).join(',\n')}\n)\n`);
    expect(s.match(/^foreach \(\$m in \$Mailboxes\) \{$/gm)).toHaveLength(2);
    expect(s.match(/Add-MailboxPermission/g)).toHaveLength(2); // the loop, and the header comment naming it
    expect(s).toMatch(/^ {4}Add-MailboxPermission -Identity \$m -User \$ServiceId -AccessRights FullAccess$/m);
    for (const u of users) expect(s.split(`'${u}'`)).toHaveLength(2); // each address once
    expect(s).toContain("--users-file 'mailboxes.txt'\n");
    expect(s.split('\n').length).toBeLessThan(120);
  });

  it('standard input (-) and --mailbox together; a repeat is dropped', async () => {
    const run = await setup(['--mailbox', 'boss@contoso.com', '--users-file', '-'], `${users[0]}\nBOSS@contoso.com\n${users[1]}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`$Mailboxes = @(\n    'boss@contoso.com',\n    '${users[0]}',\n    '${users[1]}'\n)\n`);
    expect(run.stdout).toContain(`--user 'boss@contoso.com' --user '${users[0]}' --user '${users[1]}'\n`);
  });

  it('a mailbox that is not an address: one line naming the file and line, exit 2, no script', async () => {
    const run = await setup(['--users-file', 'bad.csv']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^imap-oauth: invalid mailbox in --users-file bad\.csv line 3 "user two@contoso\.com": contains spaces[^\n]*\n$/);
  });

  it('a missing file: one line, exit 2', async () => {
    const run = await setup(['--users-file', 'nope.txt']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('imap-oauth: cannot read nope.txt (--users-file): no such file\n');
  });
});
