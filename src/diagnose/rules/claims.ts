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
  // Exchange Online's other identifier: MailKit's guide and Microsoft's consent instructions request
  // IMAP and POP tokens for it, and they carry IMAP.AccessAsApp.
  'https://ps.outlook.com',
];
const SKEW_SECONDS = 300;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const claimsOf = (ctx: DiagnosisContext): TokenClaims | undefined => (ctx.token.ok ? ctx.token.claims : undefined);
const audiences = (c: TokenClaims) => (Array.isArray(c.aud) ? c.aud : c.aud ? [c.aud] : []);
const isExchangeAudience = (aud: string) => EXCHANGE_AUDIENCES.includes(aud.replace(/\/$/, '')) || EXCHANGE_AUDIENCES.includes(aud);
/** The user a delegated token names: upn (v1), preferred_username (v2), unique_name (a guest's "live.com#…" prefix dropped). */
export function tokenUser(c: TokenClaims | undefined): string | undefined {
  const name = c?.upn ?? c?.preferred_username ?? c?.unique_name;
  return name?.replace(/^[^#@]*#/, '') || undefined;
}
/** What the token really is, for fixes: "aud X, scp Y" (or roles), not the tool's default scope. */
export function tokenScopeText(c: TokenClaims): string {
  const aud = audiences(c).join(', ') || 'none';
  return c.scp ? `aud ${aud}, scp ${c.scp}` : `aud ${aud}, roles ${(c.roles ?? []).join(' ') || 'none'}`;
}
// A ready token (a file, a pasted log) was not asked for with --scope: show only what it has.
const nowScope = (ctx: DiagnosisContext) =>
  ctx.credential === 'access-token-file' || ctx.scope.startsWith('<') ? `the token has ${tokenScopeText(claimsOf(ctx)!)}` : `now: ${ctx.scope}; the token has ${tokenScopeText(claimsOf(ctx)!)}`;
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
    diagnose: (ctx) => {
      const c = claimsOf(ctx)!;
      // A delegated token (scp, or a user's sign-in) needs the delegated scope, not the app-only /.default.
      const delegated = !!c.scp || isUserSignIn(ctx.credential);
      const want = delegated ? cloudOf(ctx).delegatedScope : cloudOf(ctx).appScope;
      return {
        summary: `The token is for ${audiences(c).join(', ')}, not Exchange Online`,
        cause: delegated
          ? `Exchange Online only accepts tokens for its own resource; this delegated token is for another API (${tokenScopeText(c)}). Graph permissions such as Mail.Read do not open IMAP: IMAP needs the delegated permission IMAP.AccessAsUser.All of Office 365 Exchange Online.`
          : `Exchange Online only accepts tokens for its own resource (${resourceOf(cloudOf(ctx).appScope)}). A Microsoft Graph token (scope https://graph.microsoft.com/.default) does not work for IMAP.`,
        fix: `Request the token with --scope ${want} (${delegated || ctx.credential === 'access-token-file' ? nowScope(ctx) : `now: ${ctx.scope}`}).${delegated ? ' One token is for one resource: ask for the IMAP scope on its own (offline_access may be added), and add the delegated permission IMAP.AccessAsUser.All (Office 365 Exchange Online) to the app registration.' : ''}`,
      };
    },
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
      fix: `Entra admin center → App registrations → your app → API permissions → Add a permission → APIs my organization uses → Office 365 Exchange Online → Delegated permissions → ${IMAP_USER_SCOPE} → Add (and grant admin consent, or let the user consent). Request the token with --scope ${cloudOf(ctx).delegatedScope} (${nowScope(ctx)}).`,
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
    id: 'token-opaque',
    onlyFor: 'entra',
    stage: 'claims',
    keys: ['opaque token', 'personal Microsoft account', 'EwB'],
    severity: 'advisory',
    // Personal Microsoft accounts (outlook.com, hotmail.com) get opaque delegated tokens.
    applies: (ctx) => ctx.token.ok && !ctx.token.claims,
    diagnose: () => ({
      summary: 'The token is opaque (not a JWT): its claims cannot be checked here',
      cause: 'Personal Microsoft accounts (outlook.com, hotmail.com, live.com) get opaque delegated tokens; audience, scope, user and expiry are known only to the server, so the claim checks are skipped and only the server\'s answer is diagnosed.',
      fix: 'Nothing to change for this alone. If the server refuses the token, the findings below say what its answer means.',
    }),
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
