// The --html page: hostile text from servers, claims and names stays text (no element, no
// attribute, no raw control character of its own), the page refers to nothing outside itself,
// and a batch's causes are told once with their fix and every mailbox they apply to.
import { describe, expect, it } from 'vitest';
import { psQuote } from '../../src/diagnose/powershell.js';
import { createIo } from '../../src/io.js';
import { Redactor } from '../../src/redact.js';
import { fixHtml, HTML_CSP, renderHtml, type HtmlMeta } from '../../src/report/html.js';
import type { MailboxResult, RunResult } from '../../src/result.js';
import { failed, finding, NOW, passed, run } from '../support/run-fixture.js';

const META: HtmlMeta = { generatedAt: NOW, version: '9.8.7', tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47', clientId: '11111111-2222-4333-8444-555555555555' };

/** Markup, quotes, an event handler, terminal escapes, C1, bidi, non-characters, a lone surrogate, an entity. */
const HOSTILE = `<script>alert(1)</script><img src=x onerror="alert(2)"> "q" 'q' \x1b]0;owned\x07\x1b[2J \x00\x0b\x85\x9b \u202eSSAP \ufffe\uffff \ud800 &amp; &#60;b&#62; url(https://evil.example/x) <a href="https://evil.example/">x</a>`;

/** Raw characters the page must never carry: C0 but \n, DEL, C1, bidi controls, U+FFFE/U+FFFF, lone surrogates. */
const RAW_FORBIDDEN = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const ALLOWED_TAGS = new Set(['!DOCTYPE', 'html', 'head', 'meta', 'title', 'style', 'body', 'main', 'header', 'h1', 'h2', 'h3', 'h4', 'p', 'dl', 'dt', 'dd', 'span', 'br', 'section', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a', 'article', 'ul', 'li', 'strong', 'pre', 'code', 'footer']);
const ALLOWED_ATTRS = new Set(['lang', 'charset', 'http-equiv', 'content', 'name', 'class', 'id', 'href']);

/** Every tag of the page (the style sheet's text left out): name and attributes. */
function tags(html: string): { name: string; attrs: [string, string][] }[] {
  const body = html.replace(/<style>[\s\S]*?<\/style>/, '<style></style>');
  return [...body.matchAll(/<(\/?)([!a-zA-Z][\w-]*)([^>]*)>/g)].filter((m) => !m[1]).map((m) => ({
    name: m[2]!,
    attrs: [...m[3]!.matchAll(/\s([\w-]+)(?:="([^"]*)")?/g)].map((a) => [a[1]!, a[2] ?? ''] as [string, string]),
  }));
}

function hostileRun(): RunResult {
  const r: MailboxResult = {
    ...failed(`${HOSTILE}@contoso.com`, [{ id: `rule-${HOSTILE}`, summary: `summary ${HOSTILE}`, cause: `cause ${HOSTILE}\nsecond line`, fix: `Prose ${HOSTILE}\n  Set-Thing -Identity ${psQuote(HOSTILE)}`, docs: `https://learn.microsoft.com/${HOSTILE}`, severity: 'error' }]),
    host: `host${HOSTILE}`,
    backend: `backend ${HOSTILE}`,
    stages: [{ name: 'token', ok: true, ms: 1, detail: `acquired ${HOSTILE}` }, { name: 'authenticate', ok: false, ms: 2, detail: `NO ${HOSTILE}` }],
    transcript: [{ dir: 'S', text: `* OK ${HOSTILE}` }, { dir: 'C', text: `1 AUTHENTICATE XOAUTH2 <redacted>` }, { dir: 'S', text: `1 NO ${HOSTILE}` }],
  };
  const base = run([r, passed('ok@contoso.com')]);
  return { ...base, notRun: [`late ${HOSTILE}`], token: { ...base.token, claims: { app_displayname: HOSTILE, oid: HOSTILE, roles: [HOSTILE], aud: HOSTILE } } };
}

describe('renderHtml: hostile text stays text', () => {
  const html = renderHtml(hostileRun(), { ...META, title: `demo ${HOSTILE}` });

  it('no element or attribute comes from the data: every tag and attribute is one the renderer writes', () => {
    for (const t of tags(html)) {
      expect(ALLOWED_TAGS, t.name).toContain(t.name);
      if (t.name !== '!DOCTYPE') for (const [name] of t.attrs) expect(ALLOWED_ATTRS, `${t.name} ${name}`).toContain(name);
    }
    expect(html.startsWith('<!DOCTYPE html>\n')).toBe(true);
    expect(html).not.toMatch(/<script|<img|<a href="http/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;');
    // An entity in the data is shown as typed, not decoded.
    expect(html).toContain('&amp;amp; &amp;#60;b&amp;#62;');
  });

  it('no raw control, C1, bidi or non-character: shown as \\xNN / \\uXXXX', () => {
    const bad = RAW_FORBIDDEN.exec(html);
    expect(bad, bad ? `U+${bad[0].charCodeAt(0).toString(16)} at ${bad.index}` : '').toBeNull();
    expect(html).toContain('\\x1b]0;owned\\x07\\x1b[2J \\x00\\x0b\\x85\\x9b \\u202eSSAP \\ufffe\\uffff \\ud800');
  });

  it('refers to nothing outside itself: no src, no url(), no @import; every link is to an anchor of the page', () => {
    const markupOnly = html.replace(/&[a-z]+;|&#\d+;/g, ' ');
    const attrs = tags(html).flatMap((t) => t.attrs);
    expect(attrs.filter(([n]) => n === 'src')).toEqual([]);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(style).not.toMatch(/url\(|@import|@font-face|https?:/i);
    const ids = new Set(attrs.filter(([n]) => n === 'id').map(([, v]) => v));
    const hrefs = attrs.filter(([n]) => n === 'href').map(([, v]) => v);
    expect(hrefs.length).toBeGreaterThan(0);
    for (const h of hrefs) {
      expect(h).toMatch(/^#[\w-]+$/);
      expect(ids, h).toContain(h.slice(1));
    }
    // URLs in the data (the docs address, hostile text) are text, never an attribute value.
    for (const [, v] of attrs) expect(v).not.toMatch(/https?:|\/\//);
    expect(markupOnly).not.toMatch(/\bsrc\s*=\s*["']?[a-z]+:/i);
  });

  it('a Content-Security-Policy that forbids every fetch comes before anything else in <head>', () => {
    expect(HTML_CSP).toMatch(/^default-src 'none'; style-src 'unsafe-inline'/);
    const head = /<head>([\s\S]*?)<\/head>/.exec(html)![1]!;
    const metas = tags(head);
    expect(metas[0]).toEqual({ name: 'meta', attrs: [['charset', 'utf-8']] });
    expect(metas[1]).toEqual({ name: 'meta', attrs: [['http-equiv', 'Content-Security-Policy'], ['content', HTML_CSP]] });
  });

  it('the data is there to read: mailbox, transcript, claims, the not-run mailbox, the docs address as text', () => {
    expect(html).toContain('1 NO &lt;script&gt;');
    expect(html).toContain('<span class="dir c">C:</span> 1 AUTHENTICATE XOAUTH2 &lt;redacted&gt;');
    expect(html).toContain('<span class="badge notrun">NOT RUN</span>');
    expect(html).toContain('FAIL — interrupted: 1 of 3 not checked, 1 failed (exit 6)');
    expect(html).toContain('<span class="mono">https://learn.microsoft.com/&lt;script&gt;');
    expect(html).toContain('<dt>Tenant</dt><dd>72f988bf-86f1-41af-91ab-2d7cd011db47</dd>');
    expect(html).toContain('imap-oauth 9.8.7');
  });
});

describe('renderHtml: report content', () => {
  const perMailbox = (user: string) => finding('imap-auth-rejected-service-principal', `In Exchange Online PowerShell:\n  Connect-ExchangeOnline\n  Add-MailboxPermission -Identity ${psQuote(user)} -User 'sp' -AccessRights FullAccess\nThen wait.`);

  it('30 mailboxes with one cause: one cause, its fix once as one foreach, all 30 mailboxes; each summary row links to it', () => {
    const users = Array.from({ length: 30 }, (_, i) => `u${i}@contoso.com`);
    const html = renderHtml(run(users.map((u) => failed(u, [perMailbox(u)]))), META);
    expect(html.match(/<article class="fail" id="cause-/g)).toHaveLength(1);
    expect(html.match(/<h4>Fix<\/h4>/g)).toHaveLength(1);
    expect(html.match(/Connect-ExchangeOnline/g)).toHaveLength(1);
    expect(html).toContain(`<pre class="fix"><code>Connect-ExchangeOnline\nforeach ($m in @(${users.map(psQuote).join(', ')})) {\n  Add-MailboxPermission -Identity $m -User 'sp' -AccessRights FullAccess\n}</code></pre>`);
    expect(html).toContain('<p>30 mailboxes (failed at authenticate, exit 6):</p>');
    const causes = /<section id="causes">[\s\S]*?<\/section>/.exec(html)![0];
    for (const u of users) expect(causes).toContain(`<li>${u}</li>`);
    expect(html.match(/<td><a href="#cause-1">Summary of imap-auth-rejected-service-principal<\/a><\/td>/g)).toHaveLength(30);
    expect(html.match(/<article class="fail" id="check-\d+">/g)).toHaveLength(30);
    expect(html).toContain('FAIL — 30 of 30 checks failed (exit 6)');
  });

  it('several causes: one article each, in order of first appearance, each check linking to its own', () => {
    const html = renderHtml(run([failed('a@x.com', [finding('c1')]), passed('p@x.com'), failed('b@x.com', [finding('c2')], 'connect'), failed('c@x.com', [finding('c1')])]), META);
    const ids = [...html.matchAll(/<article class="fail" id="(cause-\d+)">\n<h3>[^\n]*\[(c\d)\]/g)].map((m) => [m[1], m[2]]);
    expect(ids).toEqual([['cause-1', 'c1'], ['cause-2', 'c2']]);
    expect(html).toMatch(/<td><a href="#check-3">b@x\.com<\/a><\/td>.*<a href="#cause-2">Summary of c2<\/a>/);
    expect(html).toMatch(/<td><a href="#check-4">c@x\.com<\/a><\/td>.*<a href="#cause-1">Summary of c1<\/a>/);
    expect(html).toMatch(/<td><a href="#check-2">p@x\.com<\/a><\/td><td class="nowrap">IMAP<\/td>.*<span class="badge pass">PASS<\/span>/);
    expect(html).toContain('2 causes for 3 failed checks');
  });

  it('every check shows its stages (name, ok, duration, detail) and its transcript', () => {
    const r = { ...failed('a@x.com', [finding('c1')]), transcript: [{ dir: 'S' as const, text: '* OK ready' }, { dir: 'C' as const, text: '1 AUTHENTICATE XOAUTH2 <redacted>' }] };
    const html = renderHtml(run([r]), META);
    expect(html).toContain('<tr><td class="nowrap">token</td><td><span class="badge pass">ok</span></td><td class="num">200 ms</td><td>acquired</td></tr>');
    expect(html).toContain('<tr><td class="nowrap">authenticate</td><td><span class="badge fail">failed</span></td><td class="num">30 ms</td><td>NO AUTHENTICATE failed.</td></tr>');
    expect(html).toContain('<pre class="transcript"><span class="dir s">S:</span> * OK ready\n<span class="dir c">C:</span> 1 AUTHENTICATE XOAUTH2 &lt;redacted&gt;</pre>');
  });

  it('an all-pass run: no causes section; an advisory on a passing check is told in full under the check', () => {
    const advisory = { ...finding('credential-certificate-expiring'), severity: 'advisory' as const, fix: 'Roll it over:\n  imap-oauth cert new' };
    const html = renderHtml(run([{ ...passed('a@x.com'), diagnosis: [advisory] }], 3), META);
    expect(html).not.toContain('id="causes"');
    expect(html).toContain('PASS — the check passed');
    expect(html).toContain('<span class="badge warn">advisory</span> Summary of credential-certificate-expiring');
    expect(html).toContain('<pre class="fix"><code>imap-oauth cert new</code></pre>');
    expect(html).toContain('expires 2026-06-04T00:00:00.000Z (in 3 days)');
  });

  it('a token failure names the error and its IDs; tenant and client come from the claims when not configured', () => {
    const base = run([{ ...failed('a@x.com', [finding('aadsts-invalid-secret')]), stages: [{ name: 'token', ok: false, ms: 5, detail: 'AADSTS7000215' }], transcript: [], failedStage: 'token', exitCode: 3 } as MailboxResult]);
    const html = renderHtml({ ...base, ok: false, exitCode: 3, token: { source: 'client-secret', ok: false, ms: 5, requests: 1, error: { kind: 'server', message: 'm', aadsts: 7000215, description: 'Invalid client secret provided.', correlationId: 'c-1' } } }, { generatedAt: NOW, version: '1' });
    expect(html).toContain('<span class="badge fail">failed</span> AADSTS7000215: Invalid client secret provided.');
    expect(html).toContain('Correlation ID c-1');
    expect(html).toContain('<dt>Tenant</dt><dd>(not known)</dd>');
    expect(html).toContain('No transcript');
    const withClaims = renderHtml({ ...base, token: { ...base.token, claims: { tid: 'tid-1', appid: 'app-1' } } }, { generatedAt: NOW, version: '1' });
    expect(withClaims).toContain('<dt>Tenant</dt><dd>tid-1</dd>');
    expect(withClaims).toContain('<dt>Client ID</dt><dd>app-1</dd>');
  });

  it("a user's sign-in kept in the token cache: when, and how long its refresh token had gone unused", () => {
    const base = run([passed('a@x.com')]);
    const html = renderHtml({ ...base, credential: { kind: 'refresh-token', signedInAt: '2026-03-01T00:00:00.000Z', refreshTokenIssuedAt: '2026-05-01T00:00:00.000Z', refreshTokenAgeDays: 31, refreshTokenExpiresAt: '2026-07-30T00:00:00.000Z', refreshTokenRenewed: true } }, META);
    expect(html).toContain('<dt>Sign-in</dt><dd>signed in 2026-03-01T00:00:00.000Z; refresh token unused for 31 days before this run, renewed; expires 2026-07-30T00:00:00.000Z if unused</dd>');
  });
});

describe('fixHtml', () => {
  it('prose lines are paragraphs; indented lines are one command block without their common indentation', () => {
    expect(fixHtml('Do this:\n  A-B -C\n    D\n  E\nThen that.')).toBe('<p>Do this:</p>\n<pre class="fix"><code>A-B -C\n  D\nE</code></pre>\n<p>Then that.</p>');
  });
});

describe('through the redacting sink (markup: true)', () => {
  it('a secret with markup characters is hidden in its escaped form; the marker stays text', () => {
    const secret = 'S3cr<e>t&"value"~0123456789abcdef';
    const r = { ...failed('a@x.com', [finding('c1')]), transcript: [{ dir: 'S' as const, text: `echo ${secret} end` }] };
    let written = '';
    const io = createIo(new Redactor().add(secret), process.stdout, process.stderr, (_path, text) => void (written = text));
    io.file('/unused', renderHtml(run([r]), META), { markup: true });
    expect(written).toContain('echo &lt;redacted&gt; end');
    expect(written).not.toContain('S3cr');
    expect(written).not.toContain('<redacted>');
  });
});
