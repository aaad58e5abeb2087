// The transcript a hostile server fills: head and tail kept, each line cut, the cut said, a flood
// reported once; secrets redacted before anything is cut. And the exit code of a protocol violation.
import { describe, expect, it } from 'vitest';
import { clipLine, createTranscriptLogger, escapeControls, MAX_HEAD_CHARS, MAX_HEAD_LINES, MAX_LINE_CHARS, MAX_SERVER_LINES, MAX_TAIL_LINES } from '../../src/imap/transcript.js';
import { Redactor } from '../../src/redact.js';
import { exitCodeFor } from '../../src/result.js';

const server = (t: ReturnType<typeof createTranscriptLogger>, msg: string) => t.logger.debug({ src: 's', msg });
const client = (t: ReturnType<typeof createTranscriptLogger>, msg: string) => t.logger.debug({ src: 'c', msg });

describe('transcript limits', () => {
  it('keeps a short session whole, in order, redacted and escaped', () => {
    const t = createTranscriptLogger(new Redactor().add('sekrit-token-value-1234'));
    server(t, '* OK ready\r\n');
    client(t, '1 AUTHENTICATE XOAUTH2 "(* value hidden *)"');
    server(t, '1 NO sekrit-token-value-1234 \x1b[2J');
    expect(t.lines).toEqual([
      { dir: 'S', text: '* OK ready' },
      { dir: 'C', text: '1 AUTHENTICATE XOAUTH2 <redacted>' },
      { dir: 'S', text: '1 NO <redacted> \\x1b[2J' },
    ]);
  });

  it('keeps the first and the last lines of a long session and says how many were cut', () => {
    const t = createTranscriptLogger(new Redactor());
    const total = MAX_HEAD_LINES + MAX_TAIL_LINES + 37;
    for (let i = 0; i < total; i++) server(t, `* OK line ${i}`);
    const lines = t.lines;
    expect(lines).toHaveLength(MAX_HEAD_LINES + 1 + MAX_TAIL_LINES);
    expect(lines[0]!.text).toBe('* OK line 0');
    expect(lines[MAX_HEAD_LINES - 1]!.text).toBe(`* OK line ${MAX_HEAD_LINES - 1}`);
    expect(lines[MAX_HEAD_LINES]!.text).toMatch(/^… 37 lines \(\d+ characters\) not kept/);
    expect(lines.at(-1)!.text).toBe(`* OK line ${total - 1}`);
    expect(lines.at(-MAX_TAIL_LINES)!.text).toBe(`* OK line ${total - MAX_TAIL_LINES}`);
  });

  it('bounds the head by characters too', () => {
    const t = createTranscriptLogger(new Redactor());
    for (let i = 0; i < MAX_HEAD_LINES; i++) server(t, `* OK ${String(i).padStart(4, '0')} ${'x'.repeat(MAX_LINE_CHARS)}`);
    const kept = t.lines;
    const chars = kept.reduce((n, l) => n + l.text.length, 0);
    expect(chars).toBeLessThanOrEqual(MAX_HEAD_CHARS + (MAX_TAIL_LINES + 1) * (MAX_LINE_CHARS + 60));
    expect(kept.some((l) => /not kept/.test(l.text))).toBe(true);
  });

  it('cuts a long line after redacting it, and says how much it left out', () => {
    const secret = 'S3cret-value-that-ends-up-right-at-the-cut';
    const t = createTranscriptLogger(new Redactor().add(secret));
    const pad = 'p'.repeat(MAX_LINE_CHARS - 10);
    server(t, `* OK ${pad}${secret}${'q'.repeat(5000)}`);
    const text = t.lines[0]!.text;
    expect(text.length).toBeLessThan(MAX_LINE_CHARS + 60);
    expect(text).toMatch(/… \(\d+ more characters not shown\)$/);
    // The secret straddled the cut: what is left of it must not be its start.
    expect(text).not.toContain(secret.slice(0, 8));
  });

  it('clipLine never splits a \\xNN escape', () => {
    const text = `${'a'.repeat(9)}\\x1b${'b'.repeat(20)}`;
    for (const max of [9, 10, 11, 12]) expect(clipLine(text, max)).toMatch(/^a{9}… /);
    expect(clipLine('short', 10)).toBe('short');
  });

  it('reports a flood once, past MAX_SERVER_LINES server lines (client lines do not count)', () => {
    const floods: number[] = [];
    const t = createTranscriptLogger(new Redactor(), { onFlood: (n) => floods.push(n) });
    for (let i = 0; i < MAX_SERVER_LINES * 2; i++) client(t, `${i} NOOP`);
    for (let i = 0; i < MAX_SERVER_LINES; i++) server(t, '* OK');
    expect(floods).toEqual([]);
    for (let i = 0; i < 50; i++) server(t, '* OK');
    expect(floods).toEqual([MAX_SERVER_LINES + 1]);
  });

  it('escapes C0 and C1 controls, keeps tabs and text', () => {
    expect(escapeControls('a\tb\x00\x07\x1b\x9b')).toBe('a\tb\\x00\\x07\\x1b\\x9b');
  });
});

describe('exit code of a protocol violation', () => {
  const violation = { authenticated: false, protocolViolation: { kind: 'literal-too-large' as const, detail: 'x' } };
  it('before the login verdict it is a connection failure (4), not a rejected login (6) or a missing mechanism (5)', () => {
    expect(exitCodeFor('connect', violation)).toBe(4);
    expect(exitCodeFor('capability', violation)).toBe(4);
    expect(exitCodeFor('authenticate', violation)).toBe(4);
    expect(exitCodeFor('authenticate', { authenticated: false })).toBe(6);
  });
  it('after the login it stays the mailbox stage (7)', () => {
    expect(exitCodeFor('mailbox', { ...violation, authenticated: true })).toBe(7);
  });
});
