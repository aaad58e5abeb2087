// Shared by the diagnosis tests: the user's real values, factories for token reports and probes,
// and the Case shape the case tables use.
import { expect } from 'vitest';
import { diagnose, type Diagnosis, type DiagnosisContext } from '../../src/diagnose/index.js';
import { PROBE_STAGES, type ProbeEvidence, type ProbeResult, type StageName } from '../../src/imap/types.js';
import type { TokenClaims } from '../../src/token/claims.js';
import type { TokenError, TokenReport } from '../../src/token/types.js';

// ── The user's real values ────────────────────────────────────────────────────────────────────
export const TENANT = '11111111-2222-3333-4444-555555555555';
export const OTHER_TENANT = '66666666-7777-8888-9999-000000000000';
export const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
export const OTHER_CLIENT = 'ffffffff-0000-1111-2222-333333333333';
export const OID = '99999999-8888-7777-6666-555555555555';
export const USER = 'shared.inbox@contoso.com';
export const HOST = 'outlook.office365.com';
export const SCOPE = 'https://outlook.office365.com/.default';
export const NOW = new Date('2026-01-15T12:00:00Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);
export const CORRELATION = '22222222-2222-2222-2222-222222222222';
export const TRACE = '33333333-3333-3333-3333-333333333333';

// ── Factories ─────────────────────────────────────────────────────────────────────────────────
export function claims(over: Partial<TokenClaims> = {}): TokenClaims {
  return {
    aud: 'https://outlook.office365.com',
    iss: `https://sts.windows.net/${TENANT}/`,
    roles: ['IMAP.AccessAsApp'],
    tid: TENANT,
    appid: CLIENT,
    oid: OID,
    sub: OID,
    ver: '1.0',
    iat: NOW_S - 300,
    nbf: NOW_S - 300,
    exp: NOW_S + 3300,
    ...over,
  };
}

export function goodToken(over: Partial<TokenClaims> = {}, report: Partial<TokenReport> = {}): TokenReport {
  return { source: 'client-secret', ok: true, claims: claims(over), ms: 1, requests: 1, ...report };
}

export function tokenError(error: Partial<TokenError> & Pick<TokenError, 'kind'>): TokenReport {
  return { source: 'client-secret', ok: false, error: { message: 'the token request failed', ...error }, ms: 1, requests: 1 };
}

export function serverError(aadsts: number | undefined, over: Partial<TokenError> = {}): TokenReport {
  const description = aadsts ? `AADSTS${aadsts}: something went wrong.` : undefined;
  return tokenError({
    kind: 'server',
    message: description ?? 'HTTP error',
    oauthError: 'invalid_client',
    aadsts,
    description,
    httpStatus: 400,
    correlationId: CORRELATION,
    traceId: TRACE,
    timestamp: '2026-01-15 12:00:00Z',
    ...over,
  });
}

/** A probe that passed every stage before `failedStage` and failed there (null: all passed). */
export function probe(failedStage: StageName | null, evidence: Partial<ProbeEvidence> = {}, port = 993): ProbeResult {
  const stages = [];
  for (const name of PROBE_STAGES) {
    if (name === failedStage) {
      stages.push({ name, ok: false, ms: 5, detail: 'failed' });
      break;
    }
    stages.push({ name, ok: true, ms: 5, detail: 'ok' });
  }
  const reached = failedStage ? PROBE_STAGES.indexOf(failedStage) : PROBE_STAGES.length;
  return {
    user: USER,
    host: HOST,
    port,
    ok: failedStage === null,
    failedStage,
    stages,
    transcript: [],
    evidence: {
      authenticated: reached > PROBE_STAGES.indexOf('authenticate'),
      greeting: reached > 0 ? '* OK The Microsoft Exchange IMAP4 service is ready.' : undefined,
      capabilities: reached > 1 ? ['IMAP4', 'IMAP4rev1', 'AUTH=PLAIN', 'AUTH=XOAUTH2', 'SASL-IR', 'UIDPLUS'] : undefined,
      ...(failedStage === null ? { mailbox: { folder: 'INBOX', exists: 3 } } : {}),
      ...evidence,
    },
  };
}

export function ctx(over: Partial<DiagnosisContext> = {}): DiagnosisContext {
  return {
    user: USER,
    host: HOST,
    tenant: TENANT,
    clientId: CLIENT,
    scope: SCOPE,
    credential: 'client-secret',
    token: goodToken(),
    now: NOW,
    ...over,
  };
}

export const passing = () => ctx({ probe: probe(null) });
export const ids = (ds: Diagnosis[]) => ds.map((d) => d.id);
export const only = (c: DiagnosisContext, id: string): Diagnosis => {
  const ds = diagnose(c);
  const hit = ds.find((d) => d.id === id);
  expect(hit, `${id} not in [${ids(ds).join(', ')}]`).toBeDefined();
  return hit!;
};
export const docsFor = (code: number) => `https://login.microsoftonline.com/error?code=${code}`;
export const EXCHANGE_CMDLET = /\b(Connect-ExchangeOnline|New-ServicePrincipal|Add-MailboxPermission|Set-CASMailbox)\b/;
export const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface Case {
  name: string;
  ctx: DiagnosisContext;
  /** The rule that must fire. */
  id: string;
  /** The only error-severity finding (advisories may accompany it). Default: true. */
  sole?: boolean;
  summary?: (string | RegExp)[];
  cause?: (string | RegExp)[];
  fix?: (string | RegExp)[];
  fixNot?: (string | RegExp)[];
  docs?: string;
}


/** Asserts what a case asks for about its finding. */
export function checkCase(c: Case): void {
  const ds = diagnose(c.ctx);
  const hit = only(c.ctx, c.id);
  if (c.sole !== false) expect(ids(ds.filter((d) => d.severity === 'error'))).toEqual(hit.severity === 'error' ? [c.id] : []);
  const re = (s: string | RegExp) => (typeof s === 'string' ? new RegExp(escape(s)) : s);
  for (const s of c.summary ?? []) expect(hit.summary).toMatch(re(s));
  for (const s of c.cause ?? []) expect(hit.cause).toMatch(re(s));
  for (const s of c.fix ?? []) expect(hit.fix).toMatch(re(s));
  for (const s of c.fixNot ?? []) expect(hit.fix).not.toMatch(re(s));
  if (c.docs !== undefined) expect(hit.docs).toBe(c.docs);
}
