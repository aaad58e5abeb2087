// The app's own credential running out: a certificate (--cert) expiring within --warn-days, or
// expired. Advisory: Entra, not this tool, decides when it stops working (AADSTS700027 then).
import type { DiagnosisContext, Rule } from '../types.js';

const DAY_MS = 86_400_000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const DEFAULT_WARN_DAYS = 30;

const leftMs = (ctx: DiagnosisContext) => (ctx.credentialNotAfter ? ctx.credentialNotAfter.getTime() - ctx.now.getTime() : undefined);

export const credentialExpiringRule: Rule = {
  id: 'credential-certificate-expiring',
  stage: 'claims',
  keys: ['certificate expires', 'certificate expired', 'notAfter'],
  severity: 'advisory',
  applies: (ctx) => {
    const left = leftMs(ctx);
    return left !== undefined && left <= (ctx.warnDays ?? DEFAULT_WARN_DAYS) * DAY_MS;
  },
  diagnose: (ctx) => {
    const left = leftMs(ctx)!;
    const when = ctx.credentialNotAfter!.toISOString();
    const days = Math.floor(left / DAY_MS);
    // Only a GUID enters the command line; anything else stays a placeholder.
    const app = ctx.clientId && GUID.test(ctx.clientId) ? ctx.clientId : '<application-client-id>';
    return {
      summary: left <= 0 ? `the certificate credential expired on ${when}` : `the certificate credential expires on ${when} (in ${days} day${days === 1 ? '' : 's'})`,
      cause: 'Entra ID refuses a client assertion signed with an expired certificate (AADSTS700027), and every mailbox check then fails at the token. Certificates are not renewed by themselves.',
      fix: [
        'Make a new certificate, add it to the app registration next to the old one, then switch --cert to it:',
        '  imap-oauth cert new --out ./next-cert --days 365',
        `  az ad app credential reset --id ${app} --cert "@./next-cert/imap-oauth.cer" --append`,
        '(or upload ./next-cert/imap-oauth.cer in the Entra admin center: App registrations > the app > Certificates & secrets), and remove the old certificate once nothing uses it.',
      ].join('\n'),
      docs: 'https://learn.microsoft.com/entra/identity-platform/certificate-credentials',
    };
  },
};

export const credentialRules: readonly Rule[] = [credentialExpiringRule];
