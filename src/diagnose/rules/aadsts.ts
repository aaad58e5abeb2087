// Token endpoint errors, keyed by AADSTS number (the tables in aadsts-app, -user and -policy).
// A code the tables do not know is read for what Entra's text names (Conditional Access, MFA,
// consent, device compliance, location, sign-in frequency) before falling back to the text itself.
import type { TokenError } from '../../token/types.js';
import type { DiagnosisContext, Rule } from '../types.js';
import { APP_ENTRIES } from './aadsts-app.js';
import type { AadstsEntry } from './aadsts-entry.js';
import { POLICY_ENTRIES, TEXT_CLASSES } from './aadsts-policy.js';
import { USER_ENTRIES } from './aadsts-user.js';

const TABLE: AadstsEntry[] = [...APP_ENTRIES, ...USER_ENTRIES, ...POLICY_ENTRIES];

const byCode = (code: number | undefined) => (code === undefined ? undefined : TABLE.find((e) => e.codes.includes(code)));

/** The entry a text names, for a code the table does not know. */
export function entryForText(text: string | undefined): AadstsEntry | undefined {
  if (!text) return undefined;
  const hit = TEXT_CLASSES.find((c) => c.pattern.test(text));
  return hit && TABLE.find((e) => e.id === hit.id);
}

/** The code's entry; else what its text names; else one for the HTTP status (429, 503). */
function entryFor(e: TokenError | undefined): { entry: AadstsEntry; byText: boolean } | undefined {
  if (!e || e.kind !== 'server') return undefined;
  const known = byCode(e.aadsts);
  if (known) return { entry: known, byText: false };
  const text = entryForText(e.description);
  if (text) return { entry: text, byText: true };
  const status = byCode(e.httpStatus);
  return status && e.httpStatus !== undefined && e.httpStatus < 1000 ? { entry: status, byText: false } : undefined;
}

const value = (v: string | ((ctx: DiagnosisContext) => string), ctx: DiagnosisContext) => (typeof v === 'string' ? v : v(ctx));

export const aadstsRules: Rule[] = TABLE.map((entry) => ({
  id: entry.id,
  stage: 'token',
  keys: [...entry.codes.map((c) => (c < 1000 ? `HTTP ${c}` : `AADSTS${c}`)), ...(entry.phrases ?? [])],
  applies: (ctx) => entryFor(ctx.token.error)?.entry === entry,
  diagnose: (ctx) => {
    const e = ctx.token.error;
    const byText = entryFor(e)?.byText === true;
    const summary = value(entry.summary, ctx);
    return {
      summary: byText ? `${summary} (${e?.aadsts ? `AADSTS${e.aadsts}: not in imap-oauth's table; ` : ''}read from Entra's text)` : summary,
      cause: byText ? `Entra said: "${e?.description ?? ''}". ${value(entry.cause, ctx)}` : value(entry.cause, ctx),
      fix: entry.fix(ctx),
      docs: docsLink(e?.aadsts),
    };
  },
}));

/** The rule for an AADSTS number, if the table has one (a code outranks an HTTP status). */
export function aadstsRuleFor(code: number | undefined): Rule | undefined {
  const entry = byCode(code);
  return entry && aadstsRules[TABLE.indexOf(entry)];
}

/** The rule Entra's text names, for a code the table does not know. */
export function aadstsRuleForText(text: string | undefined): Rule | undefined {
  const entry = entryForText(text);
  return entry && aadstsRules[TABLE.indexOf(entry)];
}

/** Every AADSTS number the table knows (for the docs and the tests). */
export const KNOWN_AADSTS: readonly number[] = TABLE.flatMap((e) => e.codes.filter((c) => c >= 1000));

export function docsLink(code: number | undefined): string | undefined {
  return code ? `https://login.microsoftonline.com/error?code=${code}` : undefined;
}

/** Any AADSTS code without its own entry and whose text names nothing known: the code, its text, Microsoft's page. */
export const unknownAadstsRule: Rule = {
  id: 'aadsts-other',
  stage: 'token',
  keys: [],
  applies: (ctx) => ctx.token.error?.kind === 'server' && !entryFor(ctx.token.error),
  diagnose: (ctx) => {
    const e = ctx.token.error!;
    return {
      summary: e.aadsts ? `The token endpoint refused the request (AADSTS${e.aadsts})` : `The token endpoint answered HTTP ${e.httpStatus ?? '?'}${e.oauthError ? ` (${e.oauthError})` : ''}`,
      cause: e.description ?? e.message,
      fix: e.aadsts
        ? `Look the code up: ${docsLink(e.aadsts)}`
        : (e.httpStatus ?? 0) >= 500
          ? 'A server error (or a proxy answering for the server): retry in a few minutes (--retries N does this). If it persists, check --authority-host: it must be the Microsoft identity platform of your cloud.'
          : 'Check --authority-host: it must be the Microsoft identity platform of your cloud.',
      docs: docsLink(e.aadsts),
    };
  },
};
