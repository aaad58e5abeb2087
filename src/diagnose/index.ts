// Evidence → the most likely causes, each with a fix. Pure: the same evidence, the same answer.
import { aadstsRuleFor, aadstsRules, unknownAadstsRule } from './rules/aadsts.js';
import { claimRules } from './rules/claims.js';
import { imapRules } from './rules/imap.js';
import { tokenTransportRules } from './rules/token.js';
import { inMode, type Diagnosis, type DiagnosisContext, type Rule } from './types.js';

export type { Diagnosis, DiagnosisContext, Rule } from './types.js';

/** Every rule, in the order findings are listed. */
export const RULES: readonly Rule[] = [...aadstsRules, unknownAadstsRule, ...tokenTransportRules, ...claimRules, ...imapRules];

function run(rule: Rule, ctx: DiagnosisContext): Diagnosis {
  return { id: rule.id, severity: rule.severity ?? 'error', ...rule.diagnose(ctx) };
}

export function diagnose(ctx: DiagnosisContext): Diagnosis[] {
  const out: Diagnosis[] = [];
  const tokenError = ctx.token.error;
  if (tokenError) {
    if (tokenError.kind === 'server') {
      const specific = aadstsRuleFor(tokenError.aadsts) ?? aadstsRules.find((r) => r.applies(ctx));
      out.push(run(specific ?? unknownAadstsRule, ctx));
    } else {
      const transport = tokenTransportRules.find((r) => r.applies(ctx));
      if (transport) out.push(run(transport, ctx));
    }
    return out;
  }
  for (const rule of [...claimRules, ...imapRules]) if (inMode(rule, ctx) && rule.applies(ctx)) out.push(run(rule, ctx));
  return out;
}
