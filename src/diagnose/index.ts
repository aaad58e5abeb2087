// Evidence → the most likely causes, each with a fix. Pure: the same evidence, the same answer.
import { aadstsRules, unknownAadstsRule } from './rules/aadsts.js';
import { claimRules } from './rules/claims.js';
import { credentialRules } from './rules/credential.js';
import { refreshTokenAgeRule } from './rules/refresh-token-age.js';
import { delegatedRules } from './rules/delegated.js';
import { imapRules } from './rules/imap.js';
import { popRules } from './rules/pop.js';
import { proxyRules } from './rules/proxy.js';
import { smtpRules } from './rules/smtp.js';
import { tokenTransportRules } from './rules/token.js';
import { inProtocol } from './rules/wire.js';
import { inMode, type Diagnosis, type DiagnosisContext, type Rule } from './types.js';

export type { Diagnosis, DiagnosisContext, Rule } from './types.js';

/** Every rule, in the order findings are listed (the most specific readings of the evidence first). */
export const RULES: readonly Rule[] = [...aadstsRules, unknownAadstsRule, ...proxyRules, ...tokenTransportRules, ...delegatedRules, ...claimRules, ...credentialRules, refreshTokenAgeRule, ...imapRules, ...popRules, ...smtpRules];

function run(rule: Rule, ctx: DiagnosisContext): Diagnosis {
  return { id: rule.id, severity: rule.severity ?? 'error', ...rule.diagnose(ctx) };
}

export function diagnose(ctx: DiagnosisContext): Diagnosis[] {
  const tokenError = ctx.token.error;
  if (tokenError) {
    const rules = tokenError.kind === 'server' ? [...aadstsRules, unknownAadstsRule] : [...proxyRules, ...tokenTransportRules];
    const hit = rules.find((r) => r.applies(ctx));
    return hit ? [run(hit, ctx)] : [];
  }
  // inProtocol: IMAP's rules read IMAP probes only; the POP3 and SMTP rules check their own protocol.
  const applied = [...proxyRules, ...delegatedRules, ...claimRules, ...credentialRules, refreshTokenAgeRule, ...imapRules, ...popRules, ...smtpRules].filter((rule) => inMode(rule, ctx) && inProtocol(rule, ctx) && rule.applies(ctx));
  // A rule that names the cause replaces the ones that would only guess at it.
  const replaced = new Set(applied.flatMap((r) => r.supersedes ?? []));
  return applied.filter((r) => !replaced.has(r.id)).map((r) => run(r, ctx));
}
