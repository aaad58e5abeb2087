// Terminal safety: printable() itself, then every human report rendered with hostile text in every
// field that comes from outside (claims, server lines, Entra's descriptions, names, explain's
// query), asserting that what reaches the terminal has no raw C0/C1 control but \n, no bidi
// control, and no escape sequence but the colour codes the renderer adds itself.
import { describe, expect, it } from 'vitest';
import { runExplain } from '../../src/commands/explain.js';
import type { Diagnosis } from '../../src/diagnose/index.js';
import { isPrintable, printable, printableLines } from '../../src/printable.js';
import { githubAnnotation } from '../../src/report/github.js';
import { renderSummary } from '../../src/report/summary.js';
import { renderText } from '../../src/report/text.js';
import type { MailboxResult, RunResult } from '../../src/result.js';
import type { TokenReport } from '../../src/token/types.js';

/** ESC sequences (clear screen, retitle, OSC 8 link, 8-bit CSI), BEL, NUL, BS, CR, C1 NEL, bidi overrides, a BOM, non-characters, a lone surrogate. */
const H = '\x1b[8m\x1b[2J\x1b]0;owned\x07\x1b]8;;http://evil\x1b\\\x00\x08\r\x9b31m\x85\u202eRIGHT-TO-LEFT\u2066\u2069\u200f\ufeff\ufffe\uffff\ud800\t|';
const HL = `${H}\nsecond line ${H}\r\nthird line`;

/** The terminal sees: SGR colour codes (chalk's) are allowed, and \n; nothing else below U+0020, nor C1, nor bidi. */
const SGR = /\x1b\[[0-9;]*m/g;
const FORBIDDEN = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]|[\ud800-\udfff]/u;

function assertSafe(out: string, shown = ['\\x1b[2J', '\\u202e']): void {
  const bare = out.replace(SGR, '');
  const bad = FORBIDDEN.exec(bare);
  expect(bad, bad ? `U+${bad[0].charCodeAt(0).toString(16)} at …${JSON.stringify(bare.slice(Math.max(0, bad.index - 30), bad.index + 10))}` : '').toBeNull();
  // Shown, not dropped: the evidence is still there to read.
  for (const s of shown) expect(bare).toContain(s);
  // SGR 8 (concealed text) is a colour code the renderer never writes: only the hostile text has it.
  expect(out).not.toContain('\x1b[8m');
}

describe('printable', () => {
  it('shows C0, DEL and C1 as \\xNN and the rest as \\uXXXX', () => {
    expect(printable('a\x1b[31mb\x07\x00\x7f\x9b\x85')).toBe('a\\x1b[31mb\\x07\\x00\\x7f\\x9b\\x85');
    expect(printable('\u202e\u2066\u2069\u200e\u200f\u061c\u2028\u2029\ufeff\ufffe\uffff')).toBe('\\u202e\\u2066\\u2069\\u200e\\u200f\\u061c\\u2028\\u2029\\ufeff\\ufffe\\uffff');
  });

  it('one line stays one line: \\n, \\r and \\t are escaped', () => {
    expect(printable('a\nPASS\rb\tc')).toBe('a\\x0aPASS\\x0db\\x09c');
  });

  it('printableLines keeps \\n, turns \\r\\n into \\n and escapes a lone \\r', () => {
    expect(printableLines('a\r\nb\nc\rd\x1b')).toBe('a\nb\nc\\x0dd\\x1b');
  });

  it('escapes lone surrogates but keeps pairs (emoji, CJK beyond the BMP)', () => {
    expect(printable('\ud800x\udc00')).toBe('\\ud800x\\udc00');
    expect(printable('ok \u{1f600} \u{20000}')).toBe('ok \u{1f600} \u{20000}');
  });

  it('leaves ordinary text alone, including non-ASCII letters and typographic quotes', () => {
    const s = 'Zürich “quoted” ‘single’ — ✔ ✖ 東京 o\'brien \\x1b';
    expect(printable(s)).toBe(s);
    expect(isPrintable(s)).toBe(true);
    expect(isPrintable('a\x1bb')).toBe(false);
  });
});

// ── Every report, with hostile text in every field ───────────────────────────────────────────
const hostileClaims = {
  aud: [`https://outlook.office365.com${H}`, H],
  roles: ['IMAP.AccessAsApp', H],
  scp: undefined,
  tid: H,
  appid: H,
  azp: H,
  app_displayname: H,
  oid: H,
  upn: H,
  iss: H,
  ver: H,
  appidacr: H,
  sub: H,
};

function token(ok: boolean): TokenReport {
  return ok
    ? { source: 'client-secret', ok: true, claims: hostileClaims as never, expiresAt: H, ms: 1, requests: 1 }
    : {
        source: 'client-secret',
        ok: false,
        ms: 1,
        requests: 1,
        error: { kind: 'server', message: HL, description: HL, oauthError: H, aadsts: 7000215, httpStatus: 401, correlationId: H, traceId: H, timestamp: H },
      };
}

const diagnosis = (severity: Diagnosis['severity']): Diagnosis => ({ id: `rule-${severity}`, severity, summary: H, cause: HL, fix: HL, docs: H });

function result(ok: boolean, user = `user${H}@contoso.com`): MailboxResult {
  return {
    user,
    host: `host${H}`,
    port: 993,
    ok,
    exitCode: ok ? 0 : 6,
    failedStage: ok ? null : 'authenticate',
    stages: [
      { name: 'connect', ok: true, ms: 3, detail: H },
      { name: 'authenticate', ok, ms: 4, detail: HL },
    ],
    // Raw, as if the transcript had not escaped it as it recorded (defence in depth).
    transcript: [
      { dir: 'S', text: `* OK ${H}` },
      { dir: 'C', text: `A1 ${H}` },
    ],
    diagnosis: ok ? [] : [diagnosis('error'), diagnosis('advisory')],
    backend: H,
    messages: ok ? 3 : undefined,
  } as MailboxResult;
}

const run = (results: MailboxResult[], ok = true): RunResult => ({ ok: results.every((r) => r.ok), exitCode: results.every((r) => r.ok) ? 0 : 6, token: token(ok), results } as RunResult);

describe('every report with hostile values in every field', () => {
  const runs = {
    'one mailbox, failed': run([result(false)]),
    'one mailbox, passed': run([result(true)]),
    'a batch': run([result(true), result(false), result(false, `PASS${H}@contoso.com`)]),
    'token failed': run([{ ...result(false), failedStage: 'token', stages: [{ name: 'token', ok: false, ms: 1, detail: HL }], transcript: [] }], false),
  };

  for (const [name, r] of Object.entries(runs)) {
    for (const color of [false, true]) {
      for (const verbose of [false, true]) {
        it(`text: ${name}, color ${color}, verbose ${verbose}`, () => {
          assertSafe(renderText(r, { color, verbose, title: `${H}\n${H}`, notes: [H, HL], batch: r.results.length > 1 }));
        });
      }
      it(`summary: ${name}, color ${color}`, () => {
        // Cells are cut at 60-70 characters: the bidi override is past the cut.
        assertSafe(renderSummary(r, { color, wallMs: 10, interrupted: 1 }), ['\\x1b[2J']);
      });
    }
    it(`GitHub annotation: ${name}`, () => {
      for (const m of r.results) {
        const a = githubAnnotation(m);
        if (!a) continue;
        // One line (the runner reads one command per line), nothing raw in it.
        expect(a.endsWith('\n')).toBe(true);
        expect(a.slice(0, -1)).not.toMatch(/[\r\n]/);
        assertSafe(a);
      }
    });
  }

  it('the summary colours the result column, not a mailbox whose name says PASS or FAIL', () => {
    const out = renderSummary(run([result(false, 'PASS-FAIL 1@contoso.com')]), { color: true, wallMs: 10, interrupted: 0 });
    const row = out.split('\n')[1]!;
    expect(row.startsWith('PASS-FAIL 1@contoso.com')).toBe(true);
    expect(row).toContain('\x1b[31mFAIL 6');
  });
});

describe('explain echoes its query escaped', () => {
  const capture = () => {
    const chunks: string[] = [];
    return { io: { out: (s: string) => void chunks.push(s), err: (s: string) => void chunks.push(s) }, text: () => chunks.join('') };
  };

  it('a query that matches nothing', () => {
    const c = capture();
    runExplain([`zzqx ${H}`], { color: false }, c.io);
    assertSafe(c.text());
  });

  it('a pasted server answer that matches, quoted in the evidence and the findings', () => {
    const c = capture();
    const log = `A1 NO AUTHENTICATE failed. ${H}\n* BYE ${H}\nAADSTS7000215: Invalid client secret ${H}\n`;
    runExplain(['-'], { color: false }, c.io, undefined, () => log);
    const out = c.text();
    expect(out).toContain('Found in the text');
    assertSafe(out);
  });
});
