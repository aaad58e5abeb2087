// The live stage lines (report/progress.ts createStageLog): one printable line per stage, cut to the
// terminal, the protocol named when several are checked, a blank line before the report.
import { describe, expect, it } from 'vitest';
import { createStageLog } from '../../src/report/progress.js';

function log(opts: { width?: number; heading?: string } = {}) {
  let out = '';
  const l = createStageLog((t) => (out += t), { color: false, width: opts.width ?? 80, heading: opts.heading });
  return { l, text: () => out };
}

describe('createStageLog', () => {
  it('writes the heading at once, then one aligned line per stage, then a blank line', () => {
    const { l, text } = log({ heading: 'Checking a@contoso.com (imap outlook.office365.com:993) …' });
    expect(text()).toBe('Checking a@contoso.com (imap outlook.office365.com:993) …\n');
    l.stage({ name: 'token', ok: true, ms: 212, detail: 'acquired (client secret)' });
    l.stage({ name: 'authenticate', ok: false, ms: 95, detail: 'NO AUTHENTICATE failed.' });
    l.end();
    expect(text().split('\n').slice(1)).toEqual([
      '  ✔ token          212 ms  acquired (client secret)',
      '  ✖ authenticate    95 ms  NO AUTHENTICATE failed.',
      '',
      '',
    ]);
  });

  it('names the protocol when asked (the token, serving all, with an empty one)', () => {
    const { l, text } = log();
    l.stage({ name: 'token', ok: true, ms: 1, detail: 'x' }, '');
    l.stage({ name: 'connect', ok: true, ms: 2, detail: 'y' }, 'pop');
    expect(text()).toBe('  ✔      token            1 ms  x\n  ✔ pop  connect          2 ms  y\n');
  });

  it("a server's text cannot act on the terminal, and a long one is cut to the width", () => {
    const { l, text } = log({ width: 60 });
    l.stage({ name: 'connect', ok: false, ms: 3, detail: `evil\x1b]0;title\x07\u202eboom ${'x'.repeat(200)}` });
    const line = text().split('\n')[0]!;
    expect(line).not.toMatch(/[\x00-\x1f\x7f\u202e]/);
    expect(line).toContain('evil\\x1b]0;title\\x07\\u202eboom');
    expect(line.length).toBeLessThanOrEqual(60);
    expect(line.endsWith('…')).toBe(true);
  });

  it('end() without any stage writes nothing', () => {
    const { l, text } = log();
    l.end();
    expect(text()).toBe('');
  });
});
