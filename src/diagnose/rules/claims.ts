// Advisory checks of the token's claims, made before connecting. The server decides; these name
// what it will most likely object to.
import { isUserSignIn } from '../../config/types.js';
import { isoTime, type TokenClaims } from '../../token/claims.js';
import { CLOUDS } from '../../config/clouds.js';
import { cloudOf, resourceOf } from '../cloud.js';
import { inMode, type DiagnosisContext, type Rule } from '../types.js';

export const IMAP_ROLE = 'IMAP.AccessAsApp';
export const IMAP_USER_SCOPE = 'IMAP.AccessAsUser.All';
/** Exchange Online's resource in every cloud (from its scopes), its app ID, and the retired Germany cloud's. */
const EXCHANGE_AUDIENCES = [
  ...new Set(Object.values(CLOUDS).flatMap((c) => [resourceOf(c.appScope), resourceOf(c.delegatedScope)])),
  '00000002-0000-0ff1-ce00-000000000000',
  'https://outlook.office.de',
];
const SKEW_SECONDS = 300;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const claimsOf = (ctx: DiagnosisContext): TokenClaims | undefined => (ctx.token.ok ? ctx.token.claims : undefined);
const audiences = (c: TokenClaims) => (Array.isArray(c.aud) ? c.aud : c.aud ? [c.aud] : []);
const isExchangeAudience = (aud: string) => EXCHANGE_AUDIENCES.includes(aud.replace(/\/$/, '')) || EXCHANGE_AUDIENCES.includes(aud);
const apiPermissionPath = 'Entra admin center → App registrations → your app → API permissions → Add a permission → APIs my organization uses → Office 365 Exchange Online → Application permissions → IMAP.AccessAsApp → Add, then "Grant admin consent"';

export const claimRules: Rule[] = [
  {
    id: 'token-wrong-audience',
    onlyFor: 'entra',
    stage: 'claims',
    keys: ['aud', 'graph.microsoft.com', 'audience'],
    severity: 'advisory',
    applies: (ctx) => {
      const c = claimsOf(ctx);
      return !!c && audiences(c).length > 0 && !audiences(c).some(isExchangeAudience);
    },
    diagnose: (ctx) => ({
      summary: `The token is for ${audiences(claimsOf(ctx)!).join(', ')}, not Exchange Online`,
      cause: `Exchange Online only accepts tokens for its own resource (${resourceOf(cloudOf(ctx).appScope)}). A Microsoft Graph token (scope https://graph.microsoft.com/.default) does not work for IMAP.`,
      fix: `Request the token with --scope ${cloudOf(ctx).appScope} (now: ${ctx.scope}).`,
    }),
  },
  {
    id: 'token-delegated',
    onlyFor: 'entra',
    stage: 'claims',
    keys: ['scp', 'delegated'],
    severity: 'advisory',
    // Only a surprise where an app-only token was asked for; a user sign-in is delegated by design.
    applies: (ctx) => !!claimsOf(ctx)?.scp && !isUserSignIn(ctx.credential),
    diagnose: (ctx) => ({
      summary: 'The token is a delegated (user) token, not an app-only token',
      cause: `It carries scp "${claimsOf(ctx)!.scp}", so it acts as the signed-in user; it can open only mailboxes that user may open.`,
      fix: `For app-only access use the client-credentials flow (a secret or a certificate, scope ${cloudOf(ctx).appScope}) with the IMAP.AccessAsApp application permission.`,
    }),
  },
  {
    id: 'token-missing-imap-scope',
    onlyFor: 'entra',
    stage: 'claims',
    keys: ['IMAP.AccessAsUser.All', 'delegated permission'],
    severity: 'advisory',
    applies: (ctx) => {
      const c = claimsOf(ctx);
      return !!c?.scp && audiences(c).some(isExchangeAudience) && !c.scp.split(' ').includes(IMAP_USER_SCOPE);
    },
    diagnose: (ctx) => ({
      summary: `The delegated token has no ${IMAP_USER_SCOPE} (scp: ${claimsOf(ctx)!.scp})`,
      cause: 'A signed-in user reaches IMAP only through the delegated permission IMAP.AccessAsUser.All of Office 365 Exchange Online, consented for the app.',
      fix: `Entra admin center → App registrations → your app → API permissions → Add a permission → APIs my organization uses → Office 365 Exchange Online → Delegated permissions → ${IMAP_USER_SCOPE} → Add (and grant admin consent, or let the user consent). Request the token with --scope ${cloudOf(ctx).delegatedScope} (now: ${ctx.scope}).`,
    }),
  },
  {
    id: 'token-missing-imap-role',
    onlyFor: 'entra',
    stage: 'claims',
    keys: ['roles', IMAP_ROLE, 'admin consent'],
    severity: 'advisory',
    applies: (ctx) => {
      const c = claimsOf(ctx);
      return !!c && !c.scp && audiences(c).some(isExchangeAudience) && !(c.roles ?? []).includes(IMAP_ROLE);
    },
    diagnose: (ctx) => {
      const roles = claimsOf(ctx)!.roles ?? [];
      return {
        summary: `The token has no ${IMAP_ROLE} role${roles.length ? ` (it has: ${roles.join(', ')})` : ' (it has no roles at all)'}`,
        cause: 'The app lacks the IMAP.AccessAsApp application permission on Office 365 Exchange Online, or the permission was added but admin consent was not granted.',
        fix: `${apiPermissionPath}. Then request a new token.`,
      };
    },
  },
  {
    id: 'token-tenant-mismatch',
    onlyFor: 'entra',
    stage: 'claims',
    keys: ['tid', 'tenant'],
    severity: 'advisory',
    applies: (ctx) => {
      const tid = claimsOf(ctx)?.tid;
      return !!tid && !!ctx.tenant && GUID.test(ctx.tenant) && tid.toLowerCase() !== ctx.tenant.toLowerCase();
    },
    diagnose: (ctx) => ({
      summary: `The token was issued by tenant ${claimsOf(ctx)!.tid}, not ${ctx.tenant}`,
      cause: 'A token from another tenant cannot open mailboxes in this one.',
      fix: `Use --tenant ${ctx.tenant} for a token from the mailbox's tenant, or check which tenant the mailbox lives in.`,
    }),
  },
  {
    id: 'token-client-mismatch',
    onlyFor: 'entra',
    stage: 'claims',
    keys: ['appid', 'azp', 'client id'],
    severity: 'advisory',
    applies: (ctx) => {
      const c = claimsOf(ctx);
      const app = c?.appid ?? c?.azp;
      return !!app && !!ctx.clientId && app.toLowerCase() !== ctx.clientId.toLowerCase();
    },
    diagnose: (ctx) => {
      const c = claimsOf(ctx)!;
      return {
        summary: `The token belongs to app ${c.appid ?? c.azp}, not ${ctx.clientId}`,
        cause: 'The token was issued to a different application than the one configured.',
        fix: `Check --client-id, or the token file you passed.`,
      };
    },
  },
  {
    id: 'token-expired',
    stage: 'claims',
    keys: ['exp', 'expired'],
    severity: 'advisory',
    applies: (ctx) => {
      const exp = claimsOf(ctx)?.exp;
      return !!exp && exp * 1000 <= ctx.now.getTime();
    },
    diagnose: (ctx) => ({
      summary: `The token expired at ${isoTime(claimsOf(ctx)!.exp) ?? `exp ${claimsOf(ctx)!.exp}`}`,
      cause: 'Access tokens live about an hour; the server rejects an expired one. If it was just issued, this machine\'s clock is wrong.',
      fix: ctx.credential === 'access-token-file' ? 'Get a fresh token (or let the tool request one with a secret or certificate).' : 'Check this machine\'s clock (timedatectl), then run again.',
    }),
  },
  {
    id: 'token-not-yet-valid',
    stage: 'claims',
    keys: ['nbf', 'clock skew', 'not yet valid'],
    severity: 'advisory',
    applies: (ctx) => {
      const nbf = claimsOf(ctx)?.nbf;
      return !!nbf && nbf * 1000 > ctx.now.getTime() + SKEW_SECONDS * 1000;
    },
    diagnose: (ctx) => ({
      summary: `The token is not valid before ${isoTime(claimsOf(ctx)!.nbf) ?? `nbf ${claimsOf(ctx)!.nbf}`}`,
      cause: "This machine's clock is behind the identity platform's by more than five minutes (clock skew).",
      fix: 'Synchronise the clock (timedatectl set-ntp true, or w32tm /resync) and run again.',
    }),
  },
];

/** True when no claim rule fires: a good-looking token. */
export function claimsLookGood(ctx: DiagnosisContext): boolean {
  return !!claimsOf(ctx) && !claimRules.some((r) => inMode(r, ctx) && r.applies(ctx));
}
