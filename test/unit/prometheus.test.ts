// --prometheus: the textfile-collector file, checked by Prometheus' own promtool.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { escapeLabel, renderPrometheus } from '../../src/report/prometheus.js';
import { failed, finding, passed, run } from '../support/run-fixture.js';

/** promtool check metrics: exit 0 and no complaint, else the test fails with its words. A missing promtool fails too. */
function promtool(text: string): string {
  try {
    return execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool is not installed: sudo apt-get install -y prometheus');
    throw new Error(`promtool check metrics failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('prometheus textfile', () => {
  it('a batch with failures, two protocols and a certificate credential passes promtool check metrics', () => {
    const r = run([passed('a@contoso.com'), passed('a@contoso.com', 'smtp', 'smtp.office365.com'), failed('b@contoso.com', [finding('imap-auth-rejected')])], 20);
    const text = renderPrometheus(r);
    expect(promtool(text)).toBe('');
    expect(text).toContain('imap_oauth_check_success{user="a@contoso.com",protocol="imap"} 1');
    expect(text).toContain('imap_oauth_check_success{user="b@contoso.com",protocol="imap"} 0');
    expect(text).toContain('imap_oauth_check_duration_seconds{user="a@contoso.com",protocol="imap"} 0.368');
    expect(text).toContain('imap_oauth_stage_duration_seconds{user="a@contoso.com",protocol="smtp",stage="token"} 0.212');
    expect(text).toContain(`imap_oauth_credential_expiry_timestamp_seconds ${Date.parse(r.credential!.notAfter!) / 1000}`);
    expect(text).toContain(`imap_oauth_token_expiry_timestamp_seconds ${Date.parse('2026-06-01T01:00:00Z') / 1000}`);
    expect(text).toContain(`imap_oauth_tls_cert_expiry_timestamp_seconds{host="outlook.office365.com"} ${Date.parse('2026-09-01T00:00:00Z') / 1000}`);
    expect(text).toContain('imap_oauth_tls_cert_expiry_timestamp_seconds{host="smtp.office365.com"}');
  });
  it('every metric has # HELP and # TYPE gauge, and no sample carries a timestamp', () => {
    const text = renderPrometheus(run([passed('a@contoso.com')], 20));
    const names = new Set(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]));
    expect([...names].sort()).toEqual([
      'imap_oauth_check_duration_seconds', 'imap_oauth_check_success', 'imap_oauth_credential_expiry_timestamp_seconds',
      'imap_oauth_stage_duration_seconds', 'imap_oauth_tls_cert_expiry_timestamp_seconds', 'imap_oauth_token_expiry_timestamp_seconds',
    ]);
    for (const n of names) {
      expect(text).toMatch(new RegExp(`^# HELP ${n} \\S`, 'm'));
      expect(text).toMatch(new RegExp(`^# TYPE ${n} gauge$`, 'm'));
    }
    // name{labels} value — exactly two fields after the labels would be a timestamp.
    for (const l of text.split('\n').filter((x) => x && !x.startsWith('#'))) expect(l.replace(/\{.*\}/, '').split(' ')).toHaveLength(2);
  });
  it('a client secret has no credential expiry metric', () => {
    expect(renderPrometheus(run([passed('a@contoso.com')]))).not.toContain('imap_oauth_credential_expiry');
  });
  it('label values with backslash, quote and newline are escaped, and promtool accepts them', () => {
    expect(escapeLabel('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const text = renderPrometheus(run([passed('we"ird\\na\nme@contoso.com')]));
    expect(text).toContain('user="we\\"ird\\\\na\\nme@contoso.com"');
    expect(promtool(text)).toBe('');
  });
  it('the same (user, protocol) twice gives one sample, not a duplicate series promtool would refuse', () => {
    const text = renderPrometheus(run([passed('a@contoso.com'), failed('a@contoso.com', [finding('x')])]));
    expect(text.match(/^imap_oauth_check_success/gm)).toHaveLength(1);
    expect(promtool(text)).toBe('');
  });
});
