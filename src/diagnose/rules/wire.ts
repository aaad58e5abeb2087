// Findings every POP3 and SMTP AUTH probe can have (connection, TLS, mechanism, error challenge,
// the token's permission for that protocol), made once per protocol. IMAP's own rules (imap.ts,
// and the IMAP permission checks in claims.ts) stay with IMAP probes: see `inProtocol`.
import { isUserSignIn } from '../../config/types.js';
import type { TokenClaims } from '../../token/claims.js';
import { cloudOf } from '../cloud.js';
import type { DiagnosisContext, Rule } from '../types.js';
import { claimRules } from './claims.js';

export type MailProtocol = 'pop' | 'smtp';

export const protocolOf = (ctx: DiagnosisContext): 'imap' | MailProtocol => ctx.probe?.evidence.protocol ?? 'imap';
export const ev = (ctx: DiagnosisContext) => ctx.probe?.evidence;
export const failedAt = (ctx: DiagnosisContext, ...stages: string[]) => !!ctx.probe && stages.includes(ctx.probe.failedStage ?? '');
export const lines = (...xs: (string | false | undefined)[]) => xs.filter(Boolean).join('\n');

/** The claim checks that name IMAP's permission: not about a POP3 or SMTP run. */
const IMAP_ONLY_CLAIMS = new Set(['token-missing-imap-role', 'token-missing-imap-scope']);

/** Whether a rule speaks about this run's protocol (IMAP's rules, delegated.ts's included, only for IMAP probes). */
export function inProtocol(rule: Rule, ctx: DiagnosisContext): boolean {
  if (/^(imap|delegated)-/.test(rule.id) || IMAP_ONLY_CLAIMS.has(rule.id)) return protocolOf(ctx) === 'imap';
  return true;
}

export const SPEC = {
  pop: { name: 'POP3', port: 995, host: 'outlook.office365.com', role: 'POP.AccessAsApp', scope: 'POP.AccessAsUser.All', tls: 'implicit TLS on port 995' },
  smtp: { name: 'SMTP AUTH', port: 587, host: 'smtp.office365.com', role: 'SMTP.SendAsApp', scope: 'SMTP.Send', tls: 'STARTTLS on port 587' },
} as const;

const claimsOf = (ctx: DiagnosisContext): TokenClaims | undefined => (ctx.token.ok ? ctx.token.claims : undefined);
const isAppOnly = (c: TokenClaims) => !c.scp;
const missingRole = (ctx: DiagnosisContext, p: MailProtocol) => {
  const c = claimsOf(ctx);
  return !!c && isAppOnly(c) && !(c.roles ?? []).includes(SPEC[p].role) && !claimRules.find((r) => r.id === 'token-wrong-audience')!.applies(ctx);
};
const missingScope = (ctx: DiagnosisContext, p: MailProtocol) => {
  const c = claimsOf(ctx);
  return !!c?.scp && !c.scp.split(' ').includes(SPEC[p].scope) && !claimRules.find((r) => r.id === 'token-wrong-audience')!.applies(ctx);
};

/** No claim finding for this protocol: a good-looking token, so a refusal is on Exchange's side. */
export function claimsLookGoodFor(ctx: DiagnosisContext, p: MailProtocol): boolean {
  if (!claimsOf(ctx)) return false;
  if (claimRules.some((r) => !IMAP_ONLY_CLAIMS.has(r.id) && (!r.onlyFor || r.onlyFor === (ctx.authMode ?? 'entra')) && r.applies(ctx))) return false;
  return !missingRole(ctx, p) && !missingScope(ctx, p);
}

const TLS_TEXT: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate is for another host name',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in an untrusted (self-signed) root',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate chain cannot be verified (unknown issuer)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the server certificate is not trusted here',
};

export function wireRules(p: MailProtocol): Rule[] {
  const spec = SPEC[p];
  const mine = (ctx: DiagnosisContext) => protocolOf(ctx) === p && !!ctx.probe && !ctx.probe.ok;
  const code = (ctx: DiagnosisContext) => ev(ctx)?.errorCode ?? '';
  const where = (ctx: DiagnosisContext) => `${ctx.probe!.host}:${ctx.probe!.port}`;
  const serverHint = (ctx: DiagnosisContext) =>
    ctx.authMode === 'generic' ? `${spec.name} is usually ${spec.tls}` : `Exchange Online: --host ${cloudOf(ctx).name === 'global' ? spec.host : `the ${spec.name} host of ${cloudOf(ctx).label}`} --port ${spec.port} (${spec.tls})`;
  return [
    {
      id: `${p}-timeout`,
      stage: 'connect',
      keys: ['timeout', 'timed out'],
      applies: (ctx) => mine(ctx) && !!ev(ctx)!.timedOut,
      diagnose: (ctx) => ({
        summary: `${spec.name}: timed out in the ${ev(ctx)!.timedOut} stage`,
        cause: ev(ctx)!.timedOut === 'connect' ? `No answer from ${where(ctx)} in time: a firewall drops the traffic, the port is wrong, or the server is overloaded.` : 'The server stopped answering in the middle of the exchange.',
        fix: ev(ctx)!.timedOut === 'connect' ? `Check that outbound TCP ${ctx.probe!.port} to ${ctx.probe!.host} is allowed (many networks block ${p === 'smtp' ? 'SMTP ports' : 'POP3'}), or raise --timeout.` : 'Retry later or raise --timeout.',
      }),
    },
    {
      id: `${p}-dns`,
      stage: 'connect',
      keys: ['ENOTFOUND', 'EAI_AGAIN'],
      applies: (ctx) => mine(ctx) && /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL)$/.test(code(ctx)),
      diagnose: (ctx) => ({
        summary: `The host name ${ctx.probe!.host} does not resolve`,
        cause: 'DNS has no address for it: a typo in the host, or no working DNS on this machine.',
        fix: `${serverHint(ctx)}. Try: nslookup ${ctx.probe!.host}`,
      }),
    },
    {
      id: `${p}-refused`,
      stage: 'connect',
      keys: ['ECONNREFUSED'],
      applies: (ctx) => mine(ctx) && code(ctx) === 'ECONNREFUSED',
      diagnose: (ctx) => ({
        summary: `Nothing accepts ${spec.name} connections on ${where(ctx)}`,
        cause: `The port is closed: a wrong port, or no ${spec.name} server there.`,
        fix: `${serverHint(ctx)}.`,
      }),
    },
    {
      id: `${p}-tls-untrusted`,
      stage: 'connect',
      keys: ['certificate', 'TLS'],
      applies: (ctx) => mine(ctx) && !!ev(ctx)!.tlsFailure,
      diagnose: (ctx) => {
        const f = ev(ctx)!.tlsFailure!;
        const peer = f.peer ? ` The server presented: subject ${f.peer.subject}; issuer ${f.peer.issuer}; valid ${f.peer.validFrom} to ${f.peer.validTo}${f.peer.altNames ? `; names ${f.peer.altNames}` : ''}.` : '';
        return {
          summary: `${spec.name}: TLS verification failed${p === 'smtp' ? ' after STARTTLS' : ''}: ${TLS_TEXT[f.code] ?? f.code}`,
          cause: `The certificate could not be trusted (${f.code}), so the token was not sent.${peer} A TLS-inspecting proxy or a wrong host are the usual reasons.`,
          fix: f.code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? `Use the host name the certificate is issued for (${serverHint(ctx)}).` : 'If a corporate proxy re-signs TLS, pass its CA with --ca-file PATH.',
        };
      },
    },
    {
      id: `${p}-not-${p}`,
      stage: 'connect',
      keys: [`not ${spec.name}`, 'unexpected greeting'],
      applies: (ctx) => mine(ctx) && !!ev(ctx)!.notImap,
      diagnose: (ctx) => ({
        summary: `${where(ctx)} does not speak ${p === 'pop' ? 'POP3' : 'SMTP'}`,
        cause: `Its first line is "${ev(ctx)!.notImap!.firstLine}": the port belongs to another service.`,
        fix: `${serverHint(ctx)}.`,
      }),
    },
    {
      id: `${p}-connection-lost`,
      stage: 'connect',
      keys: ['ECONNRESET', 'closed'],
      applies: (ctx) => mine(ctx) && !ev(ctx)!.timedOut && !ev(ctx)!.tlsFailure && !ev(ctx)!.notImap && !ev(ctx)!.serverResponse && !ev(ctx)!.saslChallenge
        && !!code(ctx) && !/^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|ECONNREFUSED|NO_MECHANISM|TOKEN_UNAVAILABLE|ABORTED)$/.test(code(ctx)),
      diagnose: (ctx) => ({
        summary: `${spec.name}: the connection failed in the ${ctx.probe!.failedStage} stage: ${ev(ctx)!.errorMessage ?? code(ctx)}`,
        cause: /^ERR_SSL_/.test(code(ctx))
          ? `The TLS handshake got an answer that is not TLS: ${p === 'pop' ? 'POP3 here uses implicit TLS (port 995), not a plain port' : 'the server did not start TLS after STARTTLS'}.`
          : 'The server (or something in between) closed the connection without an answer: no verdict on the token.',
        fix: `${serverHint(ctx)}. Run again (--retries N); --verbose shows the whole exchange.`,
      }),
    },
    {
      id: `${p}-no-mechanism`,
      stage: 'capability',
      keys: ['XOAUTH2', 'OAUTHBEARER', 'SASL', 'mechanism'],
      applies: (ctx) => mine(ctx) && code(ctx) === 'NO_MECHANISM' && !ev(ctx)!.noStartTls,
      diagnose: (ctx) => {
        const mech = ev(ctx)!.mechanism ?? 'XOAUTH2';
        return {
          summary: `The ${spec.name} server does not offer ${mech}`,
          cause: `It lists: ${(ev(ctx)!.capabilities ?? []).join(', ') || 'nothing'}. Exchange Online offers XOAUTH2 only (no OAUTHBEARER).`,
          fix: mech === 'OAUTHBEARER' ? 'Run again without --mech oauthbearer (XOAUTH2 is the default).' : `${serverHint(ctx)}; other servers must enable XOAUTH2 (Dovecot: auth_mechanisms = xoauth2 oauthbearer).`,
        };
      },
    },
    {
      id: `${p}-sasl-error-challenge`,
      stage: 'authenticate',
      keys: ['error challenge', '401'],
      applies: (ctx) => mine(ctx) && failedAt(ctx, 'authenticate') && !!ev(ctx)!.saslChallenge,
      diagnose: (ctx) => {
        const ch = ev(ctx)!.saslChallenge!;
        return {
          summary: `The ${spec.name} server rejected the token with an error challenge: status ${String(ch.status ?? '?')}`,
          cause: 'The server decoded the SASL string and refused the bearer token (expired, wrong audience, bad signature, or missing permission).',
          fix: claimsLookGoodFor(ctx, p) ? 'Request a new token and compare its claims with what the server asks for.' : 'See the token findings above; fix those first.',
        };
      },
    },
    {
      id: `${p}-token-missing-role`,
      onlyFor: 'entra',
      stage: 'claims',
      severity: 'advisory',
      keys: [spec.role],
      applies: (ctx) => protocolOf(ctx) === p && missingRole(ctx, p),
      diagnose: (ctx) => ({
        summary: `The token has no ${spec.role} role, which ${spec.name} needs`,
        cause: `App-only ${spec.name} needs the ${spec.role} application permission of Office 365 Exchange Online, with admin consent (roles now: ${(claimsOf(ctx)!.roles ?? []).join(', ') || 'none'}).${p === 'smtp' ? ' (Exchange Online App RBAC can grant "Application SMTP.SendAsApp" without the claim: then this note does not apply.)' : ''}`,
        fix: `Entra admin center → App registrations → your app → API permissions → Add a permission → APIs my organization uses → Office 365 Exchange Online → Application permissions → ${spec.role} → Add, then "Grant admin consent". The token scope stays ${cloudOf(ctx).appScope}; request a new token.`,
      }),
    },
    {
      id: `${p}-token-missing-scope`,
      onlyFor: 'entra',
      stage: 'claims',
      severity: 'advisory',
      keys: [spec.scope],
      applies: (ctx) => protocolOf(ctx) === p && missingScope(ctx, p) && isUserSignIn(ctx.credential),
      diagnose: (ctx) => ({
        summary: `The delegated token has no ${spec.scope} (scp: ${claimsOf(ctx)!.scp})`,
        cause: `A signed-in user reaches ${spec.name} only through the delegated permission ${spec.scope} of Office 365 Exchange Online.`,
        fix: `Add the delegated permission ${spec.scope} (Office 365 Exchange Online) to the app, consent, and request https://outlook.office.com/${spec.scope} with --scope.`,
      }),
    },
  ];
}
