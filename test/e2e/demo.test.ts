// `imap-oauth demo`: the newcomer's first command, and every scenario it reproduces.
import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../src/sandbox/scenarios.js';
import { runCli } from '../support/cli.js';

const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./;

describe('imap-oauth demo', () => {
  it('passes against the sandbox and reads like the seed exchange', async () => {
    const run = await runCli(['demo']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('nothing leaves this machine');
    expect(run.stdout).toMatch(/S: \* OK The Microsoft Exchange IMAP4 service is ready\. \[[A-Za-z0-9+/=]+\]/);
    expect(run.stdout).toMatch(/C: \S+ AUTHENTICATE XOAUTH2 <redacted>\n\s+S: \S+ OK AUTHENTICATE completed\./);
    expect(run.stdout).toContain('backend SN6PR01CA0001.namprd01.prod.outlook.com');
    expect(run.stdout).toMatch(/PASS {2}someone@contoso\.com/);
    expect(run.stdout).not.toMatch(JWT_SHAPE);
    expect(run.stdout).not.toContain('\x1b['); // no colour off a terminal
  });

  it('--list names every scenario with its exit code', async () => {
    const run = await runCli(['demo', '--list']);
    expect(run.code).toBe(0);
    for (const s of SCENARIOS) expect(run.stdout).toMatch(new RegExp(`^\\s+${s.name}\\s+exit ${s.expect.exitCode}\\s`, 'm'));
  });

  it('an unknown scenario is a one-line usage error', async () => {
    const run = await runCli(['demo', '--scenario', 'nope']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('demo --list');
  });

  for (const s of SCENARIOS) {
    it(`--scenario ${s.name} → exit ${s.expect.exitCode}${s.expect.rule ? `, ${s.expect.rule}` : ''}`, async () => {
      const run = await runCli(['demo', '--scenario', s.name, '--json']);
      expect(run.code, run.stderr).toBe(s.expect.exitCode);
      const doc = JSON.parse(run.stdout);
      const ids = doc.results[0].diagnosis.map((d: { id: string }) => d.id);
      if (s.expect.rule) expect(ids).toContain(s.expect.rule);
      else expect(ids).toEqual([]);
      expect(run.stdout + run.stderr).not.toMatch(JWT_SHAPE);
    });
  }
});
