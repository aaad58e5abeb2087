// Evidence → the most likely causes, each with a fix. Pure: the same evidence, the same answer.
import { aadstsRuleFor, aadstsRules, unknownAadstsRule } from './rules/aadsts.js';
import { claimRules } from './rules/claims.js';
import { imapRules } from './rules/imap.js';
import type { Diagnosis, DiagnosisContext, Rule } from './types.js';

export type { Diagnosis, DiagnosisContext, Rule } from './types.js';

/** Every rule, in the order findings are listed. */
export const RULES: readonly Rule[] = [...aadstsRules, unknownAadstsRule, ...claimRules, ...imapRules];

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
      out.push(tokenTransportDiagnosis(ctx));
    }
    return out;
  }
  for (const rule of [...claimRules, ...imapRules]) if (rule.applies(ctx)) out.push(run(rule, ctx));
  return out;
}

function tokenTransportDiagnosis(ctx: DiagnosisContext): Diagnosis {
  const e = ctx.token.error!;
  const common = { severity: 'error' as const };
  switch (e.kind) {
    case 'timeout':
      return { ...common, id: 'token-timeout', summary: 'The token endpoint did not answer in time', cause: e.message, fix: 'Check outbound HTTPS to the authority host (proxy, firewall), or raise --timeout.' };
    case 'network':
      return { ...common, id: 'token-network', summary: 'The token endpoint could not be reached', cause: e.message, fix: 'Check --authority-host, DNS and outbound HTTPS (port 443); behind a TLS-inspecting proxy pass its CA with --ca-file.' };
    case 'empty-token':
      return { ...common, id: 'token-empty', summary: 'The token endpoint answered without an access token', cause: e.message, fix: 'Check --authority-host: it must be the Microsoft identity platform (or a faithful stand-in).' };
    default:
      return { ...common, id: 'token-client-error', summary: 'The token could not be requested', cause: e.message, fix: 'Check the credential (certificate file, secret) and run again with --debug for details.' };
  }
}
