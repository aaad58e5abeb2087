import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/diagnose/index.js';
import { exampleContext } from '../../src/diagnose/examples.js';
import { explain } from '../../src/diagnose/explain.js';

describe('explain', () => {
  it.each(RULES.map((r) => [r.id, r] as const))('%s has an example that makes it fire', (_id, rule) => {
    const ctx = exampleContext(rule);
    expect(ctx).toBeDefined();
    expect(rule.applies(ctx!)).toBe(true);
    const d = rule.diagnose(ctx!);
    for (const text of [d.summary, d.cause, d.fix]) {
      expect(text).toBeTruthy();
      expect(text).not.toMatch(/undefined|NaN|\[object Object\]/);
    }
  });

  it.each([
    ['AADSTS7000215', 'aadsts-invalid-secret'],
    ['7000222', 'aadsts-secret-expired'],
    ['aadsts90002', 'aadsts-tenant-not-found'],
    ["AADSTS700016: Application with identifier '…' was not found in the directory", 'aadsts-app-not-found'],
    ['AADSTS70011', 'aadsts-scope-not-default'],
    ['User is authenticated but not connected', 'imap-authenticated-not-connected'],
    ['A01 NO AUTHENTICATE failed.', 'imap-auth-rejected-service-principal'],
    ['imap-no-mechanism', 'imap-no-mechanism'],
    ['ENOTFOUND', 'imap-dns'],
    ['ECONNREFUSED', 'imap-refused'],
    ['IMAP.AccessAsApp', 'token-missing-imap-role'],
  ])('%s → %s first', (query, id) => {
    const result = explain(query);
    expect(result.matches[0]?.id).toBe(id);
  });

  it('an AADSTS code of the table carries its docs link', () => {
    expect(explain('AADSTS53003').matches[0]?.docs).toBe('https://login.microsoftonline.com/error?code=53003');
  });

  it('an unknown AADSTS code matches nothing but is named', () => {
    expect(explain('AADSTS12345')).toEqual({ matches: [], unknownAadsts: 12345 });
  });

  it('unrelated text matches nothing; at most three matches', () => {
    expect(explain('banana').matches).toEqual([]);
    expect(explain('AUTHENTICATE').matches.length).toBeLessThanOrEqual(3);
  });
});
