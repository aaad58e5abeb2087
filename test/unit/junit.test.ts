// JUnit stays well-formed XML 1.0 whatever the server sends, read back with a conforming parser
// (saxes refuses every character XML 1.0 forbids), and an interrupted run never reads as green.
import { describe, expect, it } from 'vitest';
import { printable, printableLines } from '../../src/printable.js';
import { NOT_RUN_MESSAGE, renderJunit } from '../../src/report/junit.js';
import type { MailboxResult, RunResult } from '../../src/result.js';
import { elements, parseXml, type XmlElement } from '../support/xml.js';

/** Parses the bytes a file would hold (UTF-8), failing on anything not well-formed. */
const parse = (xml: string): El => parseXml(Buffer.from(xml, 'utf8').toString('utf8'));
type El = XmlElement;

const all = elements;

/** Every character XML 1.0 forbids, the ones it discourages (C1), bidi, CR, tabs and newlines, markup. */
const NASTY = `\x00\x01\x08\x0b\x0c\x1b[31m\x1f\x7f\x85\x9b\ufffe\uffff\udfffx\ud800\u202e\t\r\n& < > " ' ]]> <![CDATA[ x ]]> &amp; &#0;`;

function mailbox(over: Partial<MailboxResult> = {}): MailboxResult {
  return {
    user: 'someone@contoso.com',
    host: 'outlook.office365.com',
    port: 993,
    ok: false,
    exitCode: 6,
    failedStage: 'authenticate',
    stages: [
      { name: 'connect', ok: true, ms: 10, detail: `greeting ${NASTY}` },
      { name: 'authenticate', ok: false, ms: 20, detail: `NO ${NASTY}` },
    ],
    transcript: [{ dir: 'S', text: `* OK ${NASTY}` }],
    diagnosis: [{ id: 'x', severity: 'error', summary: `summary ${NASTY}`, cause: `cause ${NASTY}`, fix: `line one ${NASTY}\nline two` }],
    ...over,
  } as MailboxResult;
}

const run = (results: MailboxResult[], notRun?: string[]): RunResult =>
  ({ ok: false, exitCode: 6, token: { source: 'client-secret', ok: true, ms: 1, requests: 1 }, results, ...(notRun ? { notRun } : {}) }) as RunResult;

describe('renderJunit', () => {
  it('is well-formed XML 1.0 whatever the server sends, and says what it sent', () => {
    const xml = renderJunit(run([mailbox(), mailbox({ ok: true, exitCode: 0, failedStage: null, user: `ok${NASTY}@x`, diagnosis: [] })]));
    const doc = parse(xml);
    expect(doc.name).toBe('testsuites');
    const [failed, passed] = all(doc, 'testcase');
    const failure = all(failed!, 'failure')[0]!;
    // The message is one line with the server's text shown escaped, not dropped.
    expect(failure.attributes.message).toBe(printable(`authenticate failed (exit 6): summary ${NASTY}`));
    expect(failure.attributes.message).toContain('\\ufffe');
    expect(failure.attributes.message).toContain('& < > " \'');
    expect(failure.attributes.type).toBe('authenticate');
    // The body keeps its lines.
    expect(failure.text).toContain(`Fix: ${printableLines(`line one ${NASTY}`)}\nline two`);
    expect(failure.text).toContain(`S: ${printable(`* OK ${NASTY}`)}`);
    expect(passed!.attributes.name).toBe(printable(`ok${NASTY}@x @ outlook.office365.com:993`));
  });

  it('an attribute keeps a newline or tab as a character reference (a raw one would read back as a space)', () => {
    const xml = renderJunit(run([mailbox({ failedStage: 'authenticate\n\tx' as never })]));
    expect(xml).toContain('type="authenticate&#10;\\x09x"');
    expect(all(parse(xml), 'failure')[0]!.attributes.type).toBe('authenticate\n\\x09x');
  });

  it('counts tests and failures', () => {
    const doc = parse(renderJunit(run([mailbox(), mailbox({ ok: true, exitCode: 0, failedStage: null }), mailbox()])));
    for (const el of [doc, all(doc, 'testsuite')[0]!]) expect(el.attributes).toMatchObject({ tests: '3', failures: '2', errors: '0' });
    expect(all(doc, 'failure')).toHaveLength(2);
  });

  it('an interrupted run does not read as green: what did not run is an error', () => {
    const doc = parse(renderJunit(run([mailbox({ ok: true, exitCode: 0, failedStage: null })], ['b@contoso.com', `c${NASTY}@contoso.com`])));
    for (const el of [doc, all(doc, 'testsuite')[0]!]) expect(el.attributes).toMatchObject({ tests: '3', failures: '0', errors: '2' });
    const errors = all(doc, 'error');
    expect(errors.map((e) => e.attributes.message)).toEqual([NOT_RUN_MESSAGE, NOT_RUN_MESSAGE]);
    expect(NOT_RUN_MESSAGE).toBe('interrupted before this mailbox was checked');
    // Same name as when the mailbox runs: CI tools track a test by its name.
    expect(all(doc, 'testcase').map((t) => t.attributes.name)).toEqual([
      'someone@contoso.com @ outlook.office365.com:993',
      'b@contoso.com @ outlook.office365.com:993',
      printable(`c${NASTY}@contoso.com @ outlook.office365.com:993`),
    ]);
  });

  it('the file: an XML declaration, one element a line, a final newline', () => {
    const xml = renderJunit(run([mailbox({ ok: true, exitCode: 0, failedStage: null })]));
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expect(xml.endsWith('  </testsuite>\n</testsuites>\n')).toBe(true);
  });

  it('times in seconds: each case its stages, the suite every case', () => {
    const timed = (ms: number[]) => mailbox({ stages: ms.map((m, i) => ({ name: i ? 'authenticate' : 'connect', ok: i === 0, ms: m, detail: 'd' })) });
    const doc = parse(renderJunit(run([timed([1500, 250]), timed([40, 5]), { ...timed([1000]), ok: true, exitCode: 0, failedStage: null }])));
    expect(all(doc, 'testcase').map((t) => t.attributes.time)).toEqual(['1.750', '0.045', '1.000']);
    expect(doc.attributes.time).toBe('2.795');
    expect(all(doc, 'testsuite')[0]!.attributes.time).toBe('2.795');
  });

  it('one class per protocol; IMAP keeps the plain name', () => {
    const doc = parse(renderJunit(run([mailbox({ protocol: 'pop' }), mailbox({ protocol: 'smtp', ok: true, exitCode: 0, failedStage: null }), mailbox({ protocol: 'imap' }), mailbox()])));
    expect(all(doc, 'testcase').map((t) => t.attributes.classname)).toEqual(['imap-oauth.pop', 'imap-oauth.smtp', 'imap-oauth', 'imap-oauth']);
  });

  it('a failure says the stage, the exit code and the first error finding, and its body lists stages, findings and transcript', () => {
    const doc = parse(
      renderJunit(
        run([
          mailbox({
            stages: [
              { name: 'connect', ok: true, ms: 12, detail: 'TLSv1.3, greeting received' },
              { name: 'authenticate', ok: false, ms: 30, detail: 'NO AUTHENTICATE failed.' },
            ],
            transcript: [
              { dir: 'S', text: '* OK ready' },
              { dir: 'C', text: 'A1 AUTHENTICATE XOAUTH2 <redacted>' },
            ],
            diagnosis: [
              { id: 'hint', severity: 'advisory', summary: 'A hint first', cause: 'because', fix: 'nothing' },
              { id: 'no-permission', severity: 'error', summary: 'The app has no mailbox permission', cause: 'Not granted', fix: 'Grant it' },
            ],
          } as Partial<MailboxResult>),
        ]),
      ),
    );
    const failure = all(doc, 'failure')[0]!;
    expect(failure.attributes.message).toBe('authenticate failed (exit 6): The app has no mailbox permission');
    expect(failure.text).toBe(
      [
        'ok   connect 12 ms TLSv1.3, greeting received',
        'FAIL authenticate 30 ms NO AUTHENTICATE failed.',
        '',
        '[hint] A hint first',
        'Why: because',
        'Fix: nothing',
        '',
        '[no-permission] The app has no mailbox permission',
        'Why: Not granted',
        'Fix: Grant it',
        '',
        'S: * OK ready',
        'C: A1 AUTHENTICATE XOAUTH2 <redacted>',
      ].join('\n'),
    );
  });

  it('without an error finding the first finding is the message; without any, the failed stage', () => {
    const advice = { id: 'w', severity: 'advisory' as const, summary: 'Only advice', cause: 'c', fix: 'f' };
    const withAdvice = parse(renderJunit(run([mailbox({ diagnosis: [advice] })])));
    expect(all(withAdvice, 'failure')[0]!.attributes.message).toBe('authenticate failed (exit 6): Only advice');
    const bare = parse(renderJunit(run([mailbox({ diagnosis: [], stages: [{ name: 'connect', ok: true, ms: 1, detail: 'up' }, { name: 'authenticate', ok: false, ms: 1, detail: 'NO go away' }] })])));
    expect(all(bare, 'failure')[0]!.attributes.message).toBe('authenticate failed (exit 6): NO go away');
    const nothing = parse(renderJunit(run([mailbox({ diagnosis: [], stages: [], failedStage: null })])));
    const failure = all(nothing, 'failure')[0]!;
    expect(failure.attributes.type).toBe('failure');
    expect(failure.attributes.message).toMatch(/failed \(exit 6\)$/);
  });

  it('the credential as suite properties: its kind, and a certificate\'s notAfter', () => {
    const props = (credential?: RunResult['credential']) =>
      all(parse(renderJunit({ ...run([mailbox()]), ...(credential ? { credential } : {}) })), 'property').map((p) => [p.attributes.name, p.attributes.value]);
    expect(props({ kind: 'certificate', notAfter: '2027-03-01T00:00:00.000Z' })).toEqual([
      ['credential.kind', 'certificate'],
      ['credential.notAfter', '2027-03-01T00:00:00.000Z'],
    ]);
    expect(props({ kind: 'client-secret' })).toEqual([['credential.kind', 'client-secret']]);
    // A user's sign-in kept in --token-cache: the refresh token's age (0 days is a value too).
    expect(props({ kind: 'device-code', signedInAt: '2026-11-01T08:00:00.000Z', refreshTokenIssuedAt: '2026-11-20T08:00:00.000Z', refreshTokenAgeDays: 0, refreshTokenExpiresAt: '2027-02-18T08:00:00.000Z' })).toEqual([
      ['credential.kind', 'device-code'],
      ['credential.signedInAt', '2026-11-01T08:00:00.000Z'],
      ['credential.refreshTokenIssuedAt', '2026-11-20T08:00:00.000Z'],
      ['credential.refreshTokenAgeDays', '0'],
      ['credential.refreshTokenExpiresAt', '2027-02-18T08:00:00.000Z'],
    ]);
    expect(props()).toEqual([]);
    // Nothing but elements in the suite: no stray text where properties would be.
    expect(all(parse(renderJunit(run([mailbox()]))), 'testsuite')[0]!.text.trim()).toBe('');
    expect(all(parse(renderJunit(run([mailbox()]))), 'properties')).toHaveLength(0);
    expect(all(parse(renderJunit({ ...run([mailbox()]), credential: { kind: 'client-secret' } })), 'properties')).toHaveLength(1);
  });

  it('interrupted before any mailbox finished: every one is an error', () => {
    const doc = parse(renderJunit(run([], ['a@contoso.com'])));
    expect(doc.attributes).toMatchObject({ tests: '1', failures: '0', errors: '1' });
    expect(all(doc, 'testcase')[0]!.attributes.name).toBe('a@contoso.com');
  });
});
