// `imap-oauth explain`: a code, a message or a whole pasted log → the rules it points at, ranked by
// how specific the evidence is: an AADSTS code of the table, then what Entra's text names, then
// what the server's answer means given the decoded token, then words of the rule table. Pure.
import { diagnose, RULES } from './index.js';
import { exampleContext } from './examples.js';
import { extractEvidence, type Evidence, type ServerAnswer } from './evidence.js';
import { aadstsRuleFor } from './rules/aadsts.js';
import type { Diagnosis, DiagnosisContext, Rule } from './types.js';
import type { ProbeEvidence, StageName } from '../imap/types.js';
import type { TokenClaims } from '../token/claims.js';
import type { CredentialSource } from '../config/types.js';

export interface Explanation {
  /** Rules that match, best first, each with what it says on the evidence (or its example). */
  matches: Diagnosis[];
  /** An AADSTS number found in the query that the table does not know. */
  unknownAadsts?: number;
  /** What was found in the text (no secrets: the tokens themselves are never part of it). */
  evidence: Evidence;
  /** No token was in the text: the findings assume a token that is right for Exchange Online. */
  tokenAssumed?: boolean;
}

const MAX_MATCHES = 3;
const MAILBOX = '<mailbox>';
const RANK = { rule: 10_000, aadsts: 5000, aadstsText: 4500, probeError: 4000, probeAdvisory: 2000 };

interface Ranked {
  d: Diagnosis;
  rank: number;
}

function describe(rule: Rule): Diagnosis | null {
  const ctx = exampleContext(rule);
  if (!ctx || !rule.applies(ctx)) return null;
  return { id: rule.id, severity: rule.severity ?? 'error', ...rule.diagnose(ctx) };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** IMAP status words match only as a status ("A1 BAD …"), in capitals: "bad password" is not BAD. */
const STATUS_WORDS = new Set(['NO', 'BAD', 'BYE', 'OK']);

function keyMatches(key: string, text: string): boolean {
  if (STATUS_WORDS.has(key)) return new RegExp(`(^|[\\s'"])(\\S+ )?${key}( |$)`, 'm').test(text);
  return new RegExp(`(?<![A-Za-z0-9])${escapeRe(key)}(?![A-Za-z0-9])`, 'i').test(text);
}

/** Words of the rule table found in the text, most specific first (an exact query, a phrase, a word). */
function keywordScore(rule: Rule, text: string, short: boolean): number {
  const q = text.trim().toLowerCase();
  if (rule.id === q) return RANK.rule;
  let best = 0;
  for (const key of rule.keys) {
    const k = key.toLowerCase();
    if (k.length < 2) continue;
    if (q === k) best = Math.max(best, 3000 + k.length);
    else if (keyMatches(key, text)) best = Math.max(best, (/\s/.test(k) || k.length >= 10 ? 300 : 100) + k.length);
    else if (short && q.length >= 4 && k.includes(q)) best = Math.max(best, q.length);
  }
  return best;
}

/** The text keywords are matched against: SASL commands and capability lists name mechanisms, not problems. */
const searchable = (text: string) =>
  text
    .replace(/\bAUTHENTICATE (?:XOAUTH2|OAUTHBEARER|PLAIN)\b( \S+)?/gi, ' ')
    .replace(/\bAUTH(?: (?:LOGIN|PLAIN|XOAUTH2|OAUTHBEARER|CRAM-MD5|NTLM|GSSAPI))+\b/gi, ' ')
    .replace(/^.*\bCAPABILITY\b.*$/gim, ' ')
    .replace(/\bmech(?:anism)?s?\s*[:=]?\s*\[?(XOAUTH2|OAUTHBEARER)\]?/gi, ' ');

// ── Contexts built from the evidence, as `test` would have them ───────────────────────────────

const APP_ONLY_CLAIMS: TokenClaims = { aud: 'https://outlook.office365.com', roles: ['IMAP.AccessAsApp'] };
const DELEGATED_CLAIMS: TokenClaims = { aud: 'https://outlook.office.com', scp: 'IMAP.AccessAsUser.All' };
/** Personal Microsoft account domains: their tokens are opaque. */
const CONSUMER = /@(outlook|hotmail|live|msn|passport)\.[a-z.]+$/i;
const DELEGATED_FLOWS: readonly CredentialSource[] = ['device-code', 'interactive', 'refresh-token'];

function tokenClaims(ev: Evidence): TokenClaims | undefined {
  return ev.sasl.find((s) => s.claims)?.claims ?? ev.jwtClaims;
}

function credentialOf(ev: Evidence, claims: TokenClaims | undefined): CredentialSource {
  if (ev.flow) return ev.flow;
  if (claims?.scp || ev.sasl.some((s) => s.opaque) || CONSUMER.test(ev.sasl[0]?.user || ev.user || '')) return 'device-code';
  return claims ? 'access-token-file' : 'client-secret';
}

function baseContext(ev: Evidence): Omit<DiagnosisContext, 'token'> {
  const claims = tokenClaims(ev);
  const credential = credentialOf(ev, claims);
  return {
    user: ev.sasl.find((s) => s.user)?.user || ev.user || MAILBOX,
    host: 'outlook.office365.com',
    tenant: ev.tenant ?? claims?.tid,
    clientId: ev.clientId ?? claims?.appid ?? claims?.azp,
    // The scope the app asked for is not in a log (Entra's text names it when it matters).
    scope: '<scope>',
    credential,
    // A pasted token is judged at the time of the log (its latest timestamp), else when it was issued:
    // that it has expired by now says nothing about the failure it was pasted for.
    now: ev.loggedAt ? new Date(ev.loggedAt) : claims?.iat ? new Date((claims.iat + 60) * 1000) : new Date(),
  };
}

/** The answer that decides the verdict: "not connected" over a refused login over a BYE. */
function decisive(ev: Evidence): { stage: StageName; answer?: ServerAnswer } | undefined {
  const notConnected = ev.answers.find((a) => /authenticated but not connected/i.test(a.text));
  if (notConnected) return { stage: 'mailbox', answer: notConnected };
  const login = [...ev.answers].reverse().find((a) => a.status !== 'BYE' && (a.command === 'AUTHENTICATE' || a.command === 'LOGIN' || (!a.command && /AUTHENTICAT|LOGIN|credentials/i.test(a.text))));
  if (login) return { stage: 'authenticate', answer: login };
  const bye = ev.answers.find((a) => a.status === 'BYE');
  if (bye) return { stage: ev.authenticated ? 'mailbox' : 'authenticate', answer: bye };
  const other = ev.answers.find((a) => a.status !== 'BYE');
  if (other) return { stage: ev.authenticated ? 'mailbox' : 'authenticate', answer: other };
  if (ev.errorCode || ev.timedOut) return { stage: 'connect' };
  if (ev.capabilities && !ev.authenticated && !ev.capabilities.some((c) => /^AUTH=XOAUTH2$/i.test(c))) return { stage: 'capability' };
  return undefined;
}

function probeEvidence(ev: Evidence, stage: StageName, answer: ServerAnswer | undefined): ProbeEvidence {
  const code = /^\[([A-Z-]+)\]/.exec(answer?.text ?? '')?.[1];
  const tls = ev.errorCode && /CERT|SELF_SIGNED/.test(ev.errorCode) ? { tlsFailure: { code: ev.errorCode } } : {};
  return {
    authenticated: ev.authenticated || stage === 'mailbox',
    ...(ev.capabilities ? { capabilities: ev.capabilities } : {}),
    ...(answer?.status === 'BYE' ? { bye: answer.text } : answer ? { serverStatus: answer.status, serverResponse: answer.text } : {}),
    ...(code ? { serverResponseCode: code } : {}),
    ...(stage === 'connect' && ev.timedOut && !ev.errorCode ? { timedOut: 'connect' as const } : {}),
    ...(stage === 'connect' && ev.errorCode ? { errorCode: ev.errorCode, errorMessage: ev.errorCode, ...tls } : {}),
    ...(stage === 'capability' ? { errorCode: 'NO_MECHANISM', mechanism: 'XOAUTH2' as const } : {}),
  };
}

function fromEvidence(ev: Evidence): { ranked: Ranked[]; tokenAssumed: boolean } {
  const base = baseContext(ev);
  const ranked: Ranked[] = [];
  const run = (ctx: DiagnosisContext, rank: (d: Diagnosis) => number) => {
    for (const d of diagnose(ctx)) ranked.push({ d, rank: rank(d) });
  };
  // Each AADSTS code: the table's entry, or what its text names, or the code and its text.
  for (const [i, a] of ev.aadsts.entries()) {
    const error = { kind: 'server' as const, message: a.description, aadsts: a.code, description: a.description, oauthError: a.oauthError, correlationId: ev.correlationId, traceId: ev.traceId };
    const known = !!aadstsRuleFor(a.code);
    // A bare code with no text and no entry says nothing beyond "look it up".
    if (!known && a.description === `AADSTS${a.code}`) continue;
    run({ ...base, token: { source: base.credential, ok: false, error, ms: 0, requests: 1 } }, (d) => (known ? RANK.aadsts : d.id === 'aadsts-other' ? RANK.probeAdvisory : RANK.aadstsText) - i);
  }
  // The server's answer, read against the decoded token (or, with none in the text, a right one).
  const claims = tokenClaims(ev);
  const opaque = !claims && (ev.sasl.some((s) => s.opaque) || CONSUMER.test(base.user));
  const tokenAssumed = !claims && !opaque;
  const verdict = decisive(ev);
  if (verdict) {
    const assumed = DELEGATED_FLOWS.includes(base.credential) ? DELEGATED_CLAIMS : APP_ONLY_CLAIMS;
    const token = { source: base.credential, ok: true, ...(opaque ? {} : { claims: claims ?? assumed }), ms: 0, requests: 0 };
    const probe = { user: base.user, host: base.host, port: 993, ok: false, failedStage: verdict.stage, stages: [], transcript: [], evidence: probeEvidence(ev, verdict.stage, verdict.answer) };
    // In the order `test` lists them: the readings that name the cause first.
    diagnose({ ...base, token, probe }).forEach((d, i) => ranked.push({ d, rank: RANK.probeError - i }));
  } else if (claims) {
    run({ ...base, token: { source: base.credential, ok: true, claims, ms: 0, requests: 0 } }, () => RANK.probeAdvisory);
  }
  return { ranked, tokenAssumed: tokenAssumed && !!verdict };
}

export function explain(queryRaw: string): Explanation {
  const evidence = extractEvidence(queryRaw);
  const query = queryRaw.replace(/\s+/g, ' ').trim();
  const { ranked, tokenAssumed } = fromEvidence(evidence);
  // A bare number is an AADSTS code.
  const bare = /^(?:AADSTS)?(\d{4,8})$/i.exec(query)?.[1];
  if (bare && !evidence.aadsts.length) {
    const rule = aadstsRuleFor(Number(bare));
    const d = rule && describe(rule);
    if (d) ranked.push({ d: { ...d, docs: `https://login.microsoftonline.com/error?code=${bare}` }, rank: RANK.aadsts });
  }
  const short = !/\n/.test(queryRaw.trim()) && query.length <= 200;
  // Words of the table: for a short query, or a log whose evidence named nothing. In a log they
  // would only add noise after what the evidence says.
  const searchWords = short || ranked.length === 0;
  for (const rule of searchWords ? RULES : []) {
    const s = rule.id === query.toLowerCase() ? RANK.rule : keywordScore(rule, searchable(short ? query : queryRaw), short);
    if (s <= 0) continue;
    const d = describe(rule);
    if (d) ranked.push({ d, rank: s });
  }
  const best = new Map<string, Ranked>();
  for (const r of ranked) if ((best.get(r.d.id)?.rank ?? -1) < r.rank) best.set(r.d.id, r);
  const matches = [...best.values()].sort((a, b) => b.rank - a.rank).slice(0, MAX_MATCHES).map((r) => r.d);
  const codes = evidence.aadsts.map((a) => a.code);
  const unknown = (bare ? [Number(bare)] : codes).find((c) => !aadstsRuleFor(c));
  return {
    matches,
    ...(unknown !== undefined && !matches.some((m) => m.id.startsWith('aadsts-') && m.id !== 'aadsts-other') ? { unknownAadsts: unknown } : {}),
    evidence,
    ...(tokenAssumed ? { tokenAssumed } : {}),
  };
}
