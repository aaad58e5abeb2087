// Token endpoint errors, keyed by AADSTS number. Each entry is data; `aadstsRules` turns the
// table into rules. Wording follows Microsoft's error reference.
import { cloudOf, resourceOf } from '../cloud.js';
import type { DiagnosisContext, Rule } from '../types.js';

interface AadstsEntry {
  codes: number[];
  id: string;
  summary: string;
  cause: string;
  fix: (ctx: DiagnosisContext) => string;
}

const portal = 'Entra admin center → App registrations';
const app = (ctx: DiagnosisContext) => ctx.clientId ?? '<client-id>';
const tenant = (ctx: DiagnosisContext) => ctx.tenant ?? '<tenant>';

const TABLE: AadstsEntry[] = [
  {
    codes: [700016],
    id: 'aadsts-app-not-found',
    summary: 'The application was not found in the tenant',
    cause: 'The client ID is wrong, or the app is registered in a different tenant than the one asked (a typo in either ID, or a multi-tenant app never consented in this tenant).',
    fix: (ctx) => `Check that client ID ${app(ctx)} is the "Application (client) ID" on the app's Overview page in ${portal}, and that tenant ${tenant(ctx)} is the "Directory (tenant) ID" shown there.`,
  },
  {
    codes: [7000215],
    id: 'aadsts-invalid-secret',
    summary: 'The client secret is wrong',
    cause: 'The secret sent is not a valid secret of this app. Most often the secret\'s ID was copied instead of its Value.',
    fix: (ctx) => `In ${portal} → ${app(ctx)} → Certificates & secrets → Client secrets, create a new secret and copy its Value (shown only once), not its Secret ID; put it in IMAP_OAUTH_CLIENT_SECRET or a --client-secret-file.`,
  },
  {
    codes: [7000222],
    id: 'aadsts-secret-expired',
    summary: 'The client secret has expired',
    cause: 'Client secrets live at most 24 months; this one is past its expiry date.',
    fix: (ctx) => `In ${portal} → ${app(ctx)} → Certificates & secrets, add a new client secret (or better, a certificate) and update the tool's configuration; delete the expired one.`,
  },
  {
    codes: [7000218],
    id: 'aadsts-no-credential',
    summary: 'No client credential was sent',
    cause: 'The token request carried neither client_secret nor client_assertion, e.g. an empty secret.',
    fix: () => 'Give exactly one credential: IMAP_OAUTH_CLIENT_SECRET, --client-secret-file PATH, or --cert PATH (recommended).',
  },
  {
    codes: [700027],
    id: 'aadsts-certificate-invalid',
    summary: 'The certificate assertion was rejected',
    cause: 'The certificate is not uploaded to this app registration (or a different one is), or it expired, or the assertion was signed with another key.',
    fix: (ctx) => `Upload the certificate (the .cer/.pem, public part only) in ${portal} → ${app(ctx)} → Certificates & secrets → Certificates, and check that its thumbprint matches the one printed by --verbose.`,
  },
  {
    codes: [700021],
    id: 'aadsts-assertion-issuer',
    summary: 'The client assertion names another application',
    cause: "The assertion's issuer/subject does not match the client ID sent.",
    fix: (ctx) => `Use the certificate with the app whose client ID is ${app(ctx)}, or correct --client-id.`,
  },
  {
    codes: [700023],
    id: 'aadsts-assertion-audience',
    summary: 'The client assertion has the wrong audience',
    cause: 'The assertion was made for another token endpoint (another tenant or cloud).',
    fix: (ctx) => `Check --tenant (${tenant(ctx)}) and --authority-host: they must name the tenant and cloud the app lives in.`,
  },
  {
    codes: [700024],
    id: 'aadsts-assertion-time',
    summary: 'The client assertion is not within its valid time range',
    cause: "This machine's clock is off by more than a few minutes, so the assertion looks expired or not yet valid.",
    fix: () => 'Synchronise the clock (timedatectl set-ntp true, or w32tm /resync) and try again.',
  },
  {
    codes: [90002],
    id: 'aadsts-tenant-not-found',
    summary: 'The tenant was not found',
    cause: 'The tenant ID or domain is wrong, or it belongs to another cloud (US Government, China) than the authority host asked.',
    fix: (ctx) => `Check --tenant (${tenant(ctx)}): use the "Directory (tenant) ID" GUID from the app's Overview page. For a national cloud, add --cloud usgov, usgov-dod or china (now: ${ctx.cloud ?? 'global'}).`,
  },
  {
    codes: [500011],
    id: 'aadsts-resource-not-found',
    summary: 'The resource of the scope does not exist in the tenant',
    cause: 'The scope names a resource (API) that has no service principal in the tenant, usually a typo in the scope.',
    fix: (ctx) => `Use --scope ${cloudOf(ctx).appScope} (now: ${ctx.scope}; resource ${resourceOf(ctx.scope)}).`,
  },
  {
    codes: [1002012, 70011],
    id: 'aadsts-scope-not-default',
    summary: 'The scope must end in /.default for an app-only token',
    cause: 'The client-credentials flow takes no individual permissions in the scope: it grants the application permissions consented in advance, requested as <resource>/.default.',
    fix: (ctx) => `Use --scope ${cloudOf(ctx).appScope} (now: ${ctx.scope}).`,
  },
  {
    codes: [53003],
    id: 'aadsts-conditional-access',
    summary: 'Blocked by a Conditional Access policy',
    cause: 'A Conditional Access policy for workload identities blocks this app from this location or under these conditions.',
    fix: () => 'Ask an Entra admin to check the sign-in logs (Entra admin center → Sign-in logs → Service principal sign-ins, search the correlation ID) and the Conditional Access policies that apply to this app.',
  },
  {
    codes: [50196, 429, 503],
    id: 'aadsts-throttled',
    summary: 'The token endpoint is throttling or temporarily unavailable',
    cause: 'Too many requests in a short time (or a service problem). Nothing is wrong with the configuration.',
    fix: (ctx) => {
      const after = ctx.token.error?.retryAfterSeconds;
      const wait = after !== undefined ? `Wait ${after} s (the server's Retry-After)` : 'Wait (honour Retry-After when given)';
      return `${wait} and retry (--retries N waits and retries); cache tokens (--token-cache) instead of requesting one per run.`;
    },
  },
  {
    codes: [65001],
    id: 'aadsts-consent-required',
    summary: 'The user or an administrator has not consented to the app',
    cause: 'A delegated sign-in needs consent to the permissions the app asks for (IMAP.AccessAsUser.All, offline_access); the tenant may also forbid users to consent.',
    fix: (ctx) => `Entra admin center → App registrations → ${app(ctx)} → API permissions → Grant admin consent for the tenant (or have the user consent when signing in).`,
  },
  {
    codes: [50105],
    id: 'aadsts-user-not-assigned',
    summary: 'The signed-in user is not assigned to the app',
    cause: 'The enterprise application requires assignment ("Assignment required?" = Yes) and this user (or a group of theirs) is not assigned.',
    fix: (ctx) => `Entra admin center → Enterprise applications → ${app(ctx)} → Users and groups → Add user/group, or set "Assignment required?" to No.`,
  },
  {
    codes: [50076, 50079],
    id: 'aadsts-mfa-required',
    summary: 'Multi-factor authentication is required',
    cause: 'A Conditional Access policy or security defaults require MFA (or MFA registration) for this sign-in.',
    fix: () => 'Sign in again with the device code and complete MFA in the browser; an administrator can check the policy in Entra admin center → Sign-in logs (search the correlation ID).',
  },
  {
    codes: [70000],
    id: 'aadsts-sign-in-declined',
    summary: 'The user declined the sign-in',
    cause: 'The device code sign-in was cancelled or declined in the browser.',
    fix: () => 'Run again and complete the sign-in with the new code.',
  },
  {
    codes: [70020, 70019],
    id: 'aadsts-device-code-expired',
    summary: 'The device code expired before the sign-in was completed',
    cause: 'Device codes are valid for about 15 minutes.',
    fix: () => 'Run again and enter the new code at https://microsoft.com/devicelogin right away.',
  },
  {
    codes: [700082],
    id: 'aadsts-refresh-token-expired',
    summary: 'The refresh token has expired or was revoked',
    cause: 'Refresh tokens end after 90 days without use, or when the user changes the password or an admin revokes the sessions.',
    fix: () => 'Sign in again: imap-oauth test --flow device-code --token-cache PATH (the same file).',
  },
  {
    codes: [7000112],
    id: 'aadsts-app-disabled',
    summary: 'The application is disabled',
    cause: 'The enterprise application (service principal) is disabled in this tenant.',
    fix: (ctx) => `Entra admin center → Enterprise applications → ${app(ctx)} → Properties → "Enabled for users to sign in?" → Yes.`,
  },
];

export const aadstsRules: Rule[] = TABLE.map((entry) => ({
  id: entry.id,
  stage: 'token',
  keys: entry.codes.map((c) => (c < 1000 ? `HTTP ${c}` : `AADSTS${c}`)),
  applies: (ctx) => {
    const e = ctx.token.error;
    if (!e || e.kind !== 'server') return false;
    return (e.aadsts !== undefined && entry.codes.includes(e.aadsts)) || (e.httpStatus !== undefined && entry.codes.includes(e.httpStatus));
  },
  diagnose: (ctx) => ({ summary: entry.summary, cause: entry.cause, fix: entry.fix(ctx), docs: docsLink(ctx.token.error?.aadsts) }),
}));

/** The rule for an AADSTS number, if the table has one (a code outranks an HTTP status). */
export function aadstsRuleFor(code: number | undefined): Rule | undefined {
  const index = code === undefined ? -1 : TABLE.findIndex((entry) => entry.codes.includes(code));
  return index >= 0 ? aadstsRules[index] : undefined;
}

export function docsLink(code: number | undefined): string | undefined {
  return code ? `https://login.microsoftonline.com/error?code=${code}` : undefined;
}

/** Any AADSTS code without its own entry: the code, its description, and Microsoft's page. */
export const unknownAadstsRule: Rule = {
  id: 'aadsts-other',
  stage: 'token',
  keys: [],
  applies: (ctx) => ctx.token.error?.kind === 'server',
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
