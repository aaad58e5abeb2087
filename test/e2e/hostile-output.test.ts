// Output that cannot be turned against the admin, through the built CLI: a token whose oid carries
// PowerShell's typographic quotes and a command, and whose app_displayname carries terminal escape
// sequences, against the sandbox (Exchange answers "authenticated but not connected": its fix is
// the PowerShell). Also a users file and an explain query with escapes. Every output and the JUnit
// file are scanned for secrets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLeak, runCli, type CliRun } from '../support/cli.js';
import { SANDBOX, startFaultWorld, type FaultWorld } from '../support/fault-world.js';
import { elements, parseXml } from '../support/xml.js';
import { writeFileSync } from 'node:fs';

const HOSTILE_OID = `${SANDBOX.servicePrincipalId}\u2019; Remove-Mailbox -Identity boss@contoso.com -Confirm:$false; \u2018`;
/** Retitle the terminal, clear it, conceal text, move up a line, an 8-bit CSI, a bidi override. */
const HOSTILE_NAME = 'e2e \x1b]0;owned\x07\x1b[2J\x1b[8m\x1b[1A\x00\x9b2K\u202eSSAP';

/** Colour is forced on: chalk's SGR codes are allowed; no other control, C1 or bidi character, no SGR 8. */
const SGR = /\x1b\[[0-9;]*m/g;
const FORBIDDEN = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function assertTerminalSafe(out: string): void {
  expect(out).not.toContain('\x1b[8m');
  const bare = out.replace(SGR, '');
  const bad = FORBIDDEN.exec(bare);
  expect(bad, bad ? `U+${bad[0].charCodeAt(0).toString(16)} near ${JSON.stringify(bare.slice(Math.max(0, bad.index - 40), bad.index + 10))}` : '').toBeNull();
}

describe('hostile claims and input through the CLI', () => {
  let w: FaultWorld;
  const runs: CliRun[] = [];
  const files: string[] = [];
  const cli = async (args: string[], env: Record<string, string> = {}) => {
    const r = await runCli(args, { env: { ...w.env, FORCE_COLOR: '1', ...env }, cwd: w.dir, timeoutMs: 30_000 });
    runs.push(r);
    return r;
  };

  beforeAll(async () => {
    w = await startFaultWorld({ app: { displayName: HOSTILE_NAME, servicePrincipalId: HOSTILE_OID } });
  });
  afterAll(async () => w?.close());

  it('test: the claims are shown escaped, the fix has a placeholder for the oid, JUnit parses', async () => {
    const junit = join(w.dir, 'junit.xml');
    const r = await cli([...w.secretArgs('--junit', junit).filter((a) => a !== '--json')]);
    expect(r.code, r.stderr).toBe(7);
    assertTerminalSafe(r.stdout);
    assertTerminalSafe(r.stderr);
    // The claims are there to read, escaped.
    expect(r.stdout).toContain('e2e \\x1b]0;owned\\x07\\x1b[2J\\x1b[8m');
    expect(r.stdout).toContain('\\u202eSSAP');

    const lines = r.stdout.replace(SGR, '').split('\n');
    const commands = lines.map((l) => l.trim()).filter((l) => /^[A-Z][a-z]+-[A-Za-z]+\b/.test(l));
    expect(commands).toContain(`Add-MailboxPermission -Identity '${SANDBOX.user}' -User <enterprise-app-object-id> -AccessRights FullAccess`);
    for (const c of commands) expect(c).not.toMatch(/Remove-Mailbox|[\u2018\u2019]/);
    // The only line that names Remove-Mailbox is the oid row of the claims: data, not a command.
    expect(lines.filter((l) => l.includes('Remove-Mailbox')).map((l) => l.trim().split(/\s+/)[0])).toEqual(['oid']);
    expect(r.stdout).toContain("The token's oid is not a GUID");

    const xml = readFileSync(junit, 'utf8');
    files.push(xml);
    const doc = parseXml(xml);
    expect(doc.attributes).toMatchObject({ tests: '1', failures: '1' });
    const failure = elements(doc, 'failure')[0]!;
    expect(failure.attributes.type).toBe('mailbox');
    expect(failure.text).toContain('<enterprise-app-object-id>');
    expect(xml).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202e]/);
  });

  it('a users file line with escape sequences: the error shows it escaped', async () => {
    const path = join(w.dir, 'users.txt');
    writeFileSync(path, `${SANDBOX.user}\nevil\x1b]0;owned\x07\x1b[2J\u202e@contoso.com\n`);
    const r = await cli(['test', '--users-file', path, '--tenant', SANDBOX.tenantId, '--client-id', SANDBOX.clientId]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^imap-oauth: .*line 2/m);
    assertTerminalSafe(r.stdout);
    assertTerminalSafe(r.stderr);
  });

  it('explain echoes a query with escape sequences escaped', async () => {
    const r = await cli(['explain', `zzqx\x1b]0;owned\x07\x1b[2J\u202e`]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('zzqx\\x1b]0;owned\\x07\\x1b[2J\\u202e');
    assertTerminalSafe(r.stdout);
    assertTerminalSafe(r.stderr);
  });

  it('no output or written file holds the client secret or an issued token', () => {
    expect(runs).toHaveLength(3);
    const tokens = w.sandbox.identity.issuedTokens;
    expect(tokens.length).toBeGreaterThan(0);
    expect(findLeak([...runs.flatMap((r) => [r.stdout, r.stderr]), ...files], [w.sandbox.clientSecret, ...tokens])).toBeNull();
  });
});
