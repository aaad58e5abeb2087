// --resume FILE: which lines count as finished checks, broken and fused lines, wrong files.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkKey, classifyLine, readResume, ResumeParser } from '../../src/batch/resume.js';
import { ConfigError } from '../../src/errors.js';

const line = (user: string, extra: Record<string, unknown> = {}) => JSON.stringify({ user, protocol: 'imap', host: 'h', port: 993, ok: true, exitCode: 0, failedStage: null, stages: [], transcript: [{ dir: 'S', text: '* OK' }], diagnosis: [], backend: null, messages: 3, ...extra });
const summary = JSON.stringify({ summary: true, ok: false, exitCode: 130, total: 3, passed: 1, failed: 0, interrupted: 2, tokenRequests: 1, ms: 10 });

function parse(lines: string[]) {
  const p = new ResumeParser('old.jsonl');
  for (const l of lines) p.add(l);
  return p.state;
}

describe('ResumeParser', () => {
  it('every result line is a finished check, passed or failed; the summary line is not a check', () => {
    const state = parse([line('a@contoso.com'), line('b@contoso.com', { ok: false, exitCode: 6, failedStage: 'authenticate' }), line('c@contoso.com', { protocol: 'smtp' }), summary]);
    expect([...state.done].sort()).toEqual([checkKey('a@contoso.com', 'imap'), checkKey('b@contoso.com', 'imap'), checkKey('c@contoso.com', 'smtp')].sort());
    expect(state.results).toBe(3);
  });

  it('a token-stage failure is not finished: the mailbox was never reached', () => {
    const state = parse([line('a@contoso.com', { ok: false, exitCode: 3, failedStage: 'token' })]);
    expect(state.done.size).toBe(0);
    expect(state.tokenFailures).toBe(1);
  });

  it('addresses compare without case; a line without protocol is IMAP', () => {
    const state = parse([JSON.stringify({ user: 'Jane.Doe@Contoso.com', ok: true })]);
    expect(state.done.has(checkKey('jane.doe@contoso.com', 'imap'))).toBe(true);
  });

  it('a broken last line (a run killed mid-write) is ignored', () => {
    const full = line('b@contoso.com');
    const state = parse([line('a@contoso.com'), full.slice(0, 40)]);
    expect(state.done.size).toBe(1);
    expect(state.broken).toBe(1);
  });

  it('a broken line fused with the next run\'s first line (appended with >>) keeps the complete result', () => {
    const fused = line('b@contoso.com').slice(0, 55) + line('c@contoso.com');
    const state = parse([line('a@contoso.com'), fused, line('d@contoso.com')]);
    expect([...state.done].map((k) => k.split('\u0000')[0]).sort()).toEqual(['a@contoso.com', 'c@contoso.com', 'd@contoso.com']);
    expect(state.broken).toBe(0);
  });

  it('blank lines, CRLF, a BOM and our own stderr lines (2>&1) are read past', () => {
    const state = parse([`\uFEFF${line('a@contoso.com')}`, '', `${line('b@contoso.com')}\r`, 'imap-oauth: warning: something', '::error title=x::y']);
    expect(state.done.size).toBe(2);
  });

  it('a line that is not --jsonl output is a one-line usage error naming the line', () => {
    for (const bad of ['user1@contoso.com', '{', '[1,2]', '{"foo":1}', '{"user":"a@contoso.com","ok":true,"protocol":"ftp"}', 'null']) {
      const p = new ResumeParser('old.jsonl');
      p.add(line('a@contoso.com'));
      let err: unknown;
      try {
        p.add(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/^--resume old\.jsonl line 2 is not a line of imap-oauth --jsonl output/);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('classifyLine: a --json document (pretty-printed) is foreign from its first line', () => {
    expect(classifyLine('{').kind).toBe('foreign');
    expect(classifyLine('  "ok": true,').kind).toBe('foreign');
  });
});

describe('readResume', () => {
  const dir = mkdtempSync(join(tmpdir(), 'imap-oauth-resume-'));

  it('streams a file of any size (here 20,000 lines with transcripts) keeping only the keys', async () => {
    const path = join(dir, 'big.jsonl');
    writeFileSync(path, `${Array.from({ length: 20_000 }, (_, i) => line(`u${i}@contoso.com`)).join('\n')}\n${summary}\n`);
    const state = await readResume(path, 'big.jsonl');
    expect(state.done.size).toBe(20_000);
  });

  it('an empty file resumes nothing', async () => {
    const path = join(dir, 'empty.jsonl');
    writeFileSync(path, '');
    expect((await readResume(path)).done.size).toBe(0);
  });

  it('a missing file or a directory is a usage error naming the file as given', async () => {
    await expect(readResume(join(dir, 'nope.jsonl'), 'nope.jsonl')).rejects.toThrow(/^cannot read --resume nope\.jsonl: no such file$/);
    mkdirSync(join(dir, 'sub'));
    await expect(readResume(join(dir, 'sub'), 'sub')).rejects.toThrow(/^cannot read --resume sub: it is a directory$/);
  });
});
