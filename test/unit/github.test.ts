// GitHub Actions annotations: the workflow-command escaping, checked by reading the line back the
// way the runner does (command, then properties split on "," and "=", then "::" and the data,
// each unescaped), so that no server text can end a property or start a command of its own.
import { describe, expect, it } from 'vitest';
import { printable, printableLines } from '../../src/printable.js';
import { escapeData, escapeProperty, githubAnnotation } from '../../src/report/github.js';
import type { MailboxResult } from '../../src/result.js';

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');

/** The runner's reading of one workflow-command line. */
function readCommand(line: string): { command: string; properties: Record<string, string>; data: string } {
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!m) throw new Error(`not a workflow command: ${line}`);
  const properties: Record<string, string> = {};
  for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
  }
  return { command: m[1]!, properties, data: unescapeData(m[3]!) };
}

function failed(over: Partial<MailboxResult> = {}): MailboxResult {
  return {
    user: 'someone@contoso.com',
    host: 'outlook.office365.com',
    port: 993,
    ok: false,
    exitCode: 6,
    failedStage: 'authenticate',
    stages: [{ name: 'authenticate', ok: false, ms: 1, detail: 'NO AUTHENTICATE failed.' }],
    transcript: [],
    diagnosis: [{ id: 'x', severity: 'error', summary: 'The server said no', cause: 'c', fix: 'Run this:\n  Get-Thing' }],
    ...over,
  } as MailboxResult;
}

describe('workflow-command escaping', () => {
  it('data: %, CR and LF', () => {
    expect(escapeData('100% a\r\nb')).toBe('100%25 a%0D%0Ab');
    expect(escapeData('a:b,c')).toBe('a:b,c');
  });

  it('properties: also : and , (they would end the property)', () => {
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
  });

  it.each(['%0A', '%25', 'x%3Ay', '::warning::forged', '\n::set-output name=x::y', 'a,b=c', '%', '\r\n'])('round-trips %j', (s) => {
    expect(unescapeData(escapeData(s))).toBe(s);
    expect(unescapeProperty(escapeProperty(s))).toBe(s);
  });
});

describe('githubAnnotation', () => {
  it('a passed mailbox has none', () => {
    expect(githubAnnotation(failed({ ok: true, exitCode: 0, failedStage: null }))).toBeNull();
  });

  it('one ::error line with the title and the finding with its fix', () => {
    const line = githubAnnotation(failed())!;
    expect(line.endsWith('\n')).toBe(true);
    const read = readCommand(line.slice(0, -1));
    expect(read).toEqual({
      command: 'error',
      properties: { title: 'imap-oauth: someone@contoso.com failed at authenticate (exit 6)' },
      data: 'The server said no\nFix: Run this:\n  Get-Thing',
    });
  });

  it('server text cannot end the annotation, add a property, or start another command', () => {
    const evil = '100%, file=/etc/passwd,line=1::x\n::add-mask::\r\n::error title=forged::pwned %0A';
    const line = githubAnnotation(failed({ user: `a,b:c%@contoso.com`, diagnosis: [{ id: 'x', severity: 'error', summary: evil, cause: 'c', fix: evil }] }))!;
    expect(line.slice(0, -1)).not.toMatch(/[\r\n]/);
    const read = readCommand(line.slice(0, -1));
    expect(Object.keys(read.properties)).toEqual(['title']);
    expect(read.properties.title).toBe('imap-oauth: a,b:c%@contoso.com failed at authenticate (exit 6)');
    expect(read.data).toBe(printableLines(`${evil}\nFix: ${evil}`));
  });

  it('the first error finding is the message, ahead of advice listed before it; else the first finding', () => {
    const hint = { id: 'h', severity: 'advisory' as const, summary: 'A hint', cause: 'c', fix: 'Read this' };
    const error = { id: 'e', severity: 'error' as const, summary: 'The app has no permission', cause: 'c', fix: 'Grant it' };
    const advice = { id: 'w', severity: 'advisory' as const, summary: 'Only advice', cause: 'c', fix: 'Look' };
    expect(readCommand(githubAnnotation(failed({ diagnosis: [hint, error] }))!.slice(0, -1)).data).toBe('The app has no permission\nFix: Grant it');
    expect(readCommand(githubAnnotation(failed({ diagnosis: [advice, hint] }))!.slice(0, -1)).data).toBe('Only advice\nFix: Look');
  });

  it('without a finding or a failed stage it still says the mailbox failed', () => {
    const read = readCommand(githubAnnotation(failed({ diagnosis: [], stages: [{ name: 'connect', ok: true, ms: 1, detail: 'up' }] }))!.slice(0, -1));
    expect(read.data).toBe('failed');
  });

  it('without a finding, the failed stage says what happened; control characters are shown, not sent', () => {
    const read = readCommand(githubAnnotation(failed({ diagnosis: [], stages: [{ name: 'connect', ok: false, ms: 1, detail: 'reset \x1b[2J\x07' }] }))!.slice(0, -1));
    expect(read.data).toBe(printable('reset \x1b[2J\x07'));
    expect(read.data).not.toMatch(/[\x00-\x1f]/);
  });
});
