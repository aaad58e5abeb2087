// AADSTS codes about the app registration, its credential, the tenant and the scope asked for.
import { cloudOf, resourceOf } from '../cloud.js';
import { secretProblems } from '../secret-shape.js';
import type { DiagnosisContext } from '../types.js';
import { app, description, portal, tenant, userFlow, type AadstsEntry } from './aadsts-entry.js';

const ALIASES = /^(common|organizations|consumers)$/i;
const publicClientFix = (ctx: DiagnosisContext) =>
  `${portal} → ${app(ctx)} → Authentication → Advanced settings → "Allow public client flows" → Yes (then Save), or use an app registration made for users signing in (a public client: "Mobile and desktop applications"). A user's sign-in (device code, browser, refresh token) sends no client secret: do not add one for this flow.`;

/** The directory AADSTS700016 names: Entra quotes its display name (or the tenant asked). */
export function directoryNamed(text: string): string | undefined {
  return /not found in the directory '([^']+)'/i.exec(text)?.[1];
}

export const APP_ENTRIES: AadstsEntry[] = [
  {
    codes: [700016, 700011, 70001],
    id: 'aadsts-app-not-found',
    phrases: ['was not found in the directory', 'Application with identifier'],
    summary: (ctx) => {
      const dir = directoryNamed(description(ctx));
      return `The application ${app(ctx)} was not found in the directory${dir ? ` '${dir}'` : ` ${tenant(ctx)}`}`;
    },
    cause: (ctx) => {
      const dir = directoryNamed(description(ctx));
      const where = `Entra looked for client ID ${app(ctx)} in the directory you asked (--tenant ${tenant(ctx)}${dir && dir !== ctx.tenant ? `, which Entra names '${dir}'` : ''})`;
      if (ctx.tenant && ALIASES.test(ctx.tenant)) {
        return `${where}: with "${ctx.tenant}" the app must accept that kind of account (Supported account types). The app exists, but not for these accounts, or the client ID is wrong.`;
      }
      return `${where} and it is not registered there. Either the client ID is wrong, or the app exists in another directory: a single-tenant app signs in only in its home tenant, and a tenant ID copied from another directory sends the request there.`;
    },
    fix: (ctx) =>
      ctx.tenant && ALIASES.test(ctx.tenant)
        ? `In ${portal} → ${app(ctx)} → Authentication → Supported account types, choose one that includes ${ctx.tenant === 'consumers' ? 'personal Microsoft accounts' : 'these accounts'} (or use --tenant with the directory's ID); check the client ID on the app's Overview page.`
        : `Open the app's Overview page in ${portal}: use its "Application (client) ID" as --client-id (now ${app(ctx)}) and its "Directory (tenant) ID" as --tenant (now ${tenant(ctx)}). If the mailboxes live in another tenant than the app, make the app multi-tenant (Authentication → Supported account types) and have an admin of ${tenant(ctx)} consent to it there.`,
  },
  {
    codes: [7000215, 70002],
    id: 'aadsts-invalid-secret',
    phrases: ['Invalid client secret', 'client secret value, not the client secret ID'],
    summary: 'The client secret is wrong',
    cause: (ctx) => {
      const problems = ctx.secret ? secretProblems(ctx.secret) : [];
      const seen = problems.length ? ` Checked here: ${problems.join('; ')}.` : ctx.secret ? ' Checked here: the value has the shape of a secret value (no quotes, no spaces, not a Secret ID), so it is most likely another app\'s secret, a deleted one, or one with a changed character.' : '';
      return `The secret sent is not a valid secret of app ${app(ctx)}. Two mistakes give this code: the Secret ID was copied instead of its Value, or the Value was mangled on the way (quotes kept from an INI or .env file, a "$…" or "~" taken by a shell, a trailing newline or space).${seen}`;
    },
    fix: (ctx) => {
      const s = ctx.secret;
      const strip = s && (s.quoted || s.halfQuoted) ? 'Remove the quotes around the value (in a .env file write IMAP_OAUTH_CLIENT_SECRET=value, or put it in a file on one line). ' : '';
      return `${strip}In ${portal} → ${app(ctx)} → Certificates & secrets → Client secrets, create a new secret and copy its Value (shown only once), not its Secret ID; pass it in single quotes in a shell, or better with --client-secret-file PATH (one line, as copied).`;
    },
  },
  {
    codes: [7000222],
    id: 'aadsts-secret-expired',
    phrases: ['client secret keys', 'are expired'],
    summary: 'The client secret has expired',
    cause: 'Client secrets live at most 24 months; this one is past its expiry date.',
    fix: (ctx) => `In ${portal} → ${app(ctx)} → Certificates & secrets, add a new client secret (or better, a certificate) and update the tool's configuration; delete the expired one.`,
  },
  {
    codes: [7000218],
    id: 'aadsts-no-credential',
    phrases: ["must contain the following parameter: 'client_assertion' or 'client_secret'"],
    summary: (ctx) => (userFlow(ctx) ? 'The app registration does not allow public client flows' : 'No client credential was sent'),
    cause: (ctx) =>
      userFlow(ctx)
        ? 'A user signing in (device code, browser, refresh token) is a public client and sends no secret; Entra asks for one because the app registration is a confidential client ("Allow public client flows" is off).'
        : 'The token request carried neither client_secret nor client_assertion, e.g. an empty secret.',
    fix: (ctx) => (userFlow(ctx) ? publicClientFix(ctx) : 'Give exactly one credential: IMAP_OAUTH_CLIENT_SECRET, --client-secret-file PATH, or --cert PATH (recommended). For a user signing in, use --flow device-code and allow public client flows on the app.'),
  },
  {
    codes: [700025],
    id: 'aadsts-public-client-credential',
    phrases: ['Client is public so neither'],
    summary: 'The app is a public client, so it must not send a secret or certificate',
    cause: '"Allow public client flows" is on for this app registration, and the request carried a client secret or assertion.',
    fix: (ctx) => `For app-only access (client credentials) set ${portal} → ${app(ctx)} → Authentication → "Allow public client flows" → No; for a user's sign-in leave it on and send no credential (--flow device-code).`,
  },
  {
    codes: [700027, 50012],
    id: 'aadsts-certificate-invalid',
    phrases: ['Client assertion failed signature validation', 'certificate with identifier used to sign the client assertion is not registered'],
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
    codes: [90002, 50128],
    id: 'aadsts-tenant-not-found',
    phrases: ['Tenant not found', 'Invalid domain name'],
    summary: 'The tenant was not found',
    cause: 'The tenant ID or domain is wrong, or it belongs to another cloud (US Government, China) than the authority host asked.',
    fix: (ctx) => `Check --tenant (${tenant(ctx)}): use the "Directory (tenant) ID" GUID from the app's Overview page. For a national cloud, add --cloud usgov, usgov-dod or china (now: ${ctx.cloud ?? 'global'}).`,
  },
  {
    codes: [90038],
    id: 'aadsts-other-cloud',
    phrases: ['belongs to the National Cloud'],
    summary: 'The tenant belongs to a national cloud',
    cause: 'The tenant lives in another Microsoft cloud (US Government, 21Vianet) than the sign-in host asked.',
    fix: () => 'Add --cloud usgov, usgov-dod or china: it sets the sign-in host, the IMAP host and the scope of that cloud together.',
  },
  {
    codes: [50059, 9001023, 90124, 90130],
    id: 'aadsts-tenant-required',
    phrases: ['No tenant-identifying information', 'not supported over the /common or /consumers endpoints'],
    summary: 'The request needs a specific tenant, not common, organizations or consumers',
    cause: 'App-only tokens (client credentials) and some resources can only be requested from one directory; the multi-tenant aliases do not say which.',
    fix: (ctx) => `Use --tenant with the directory's GUID or verified domain (now: ${tenant(ctx)}); it is the "Directory (tenant) ID" on the app's Overview page.`,
  },
  {
    codes: [500011, 50001],
    id: 'aadsts-resource-not-found',
    phrases: ['The resource principal named', 'was not found in the tenant'],
    summary: 'The resource of the scope does not exist in the tenant',
    cause: 'The scope names a resource (API) that has no service principal in the tenant, usually a typo in the scope.',
    fix: (ctx) => `Use --scope ${userFlow(ctx) ? cloudOf(ctx).delegatedScope : cloudOf(ctx).appScope} (now: ${ctx.scope}; resource ${resourceOf(ctx.scope)}).`,
  },
  {
    codes: [650052],
    id: 'aadsts-service-not-subscribed',
    phrases: ["hasn't subscribed to or enabled", 'has not subscribed to'],
    summary: 'The tenant has no subscription for the service the app asks for',
    cause: 'The app asks for a service (Office 365 Exchange Online) that the organization has not subscribed to or enabled, e.g. a tenant without Exchange Online licences.',
    fix: () => 'Check in the Microsoft 365 admin center → Billing → Your products that the tenant has Exchange Online, and that the mailbox\'s user has a licence with Exchange Online.',
  },
  {
    codes: [650057, 650056, 65005],
    id: 'aadsts-permission-not-configured',
    phrases: ['not listed in the requested permissions', 'Misconfigured application'],
    summary: "The app's registration does not list the permission it asks for",
    cause: 'The token request names a resource or permission that is not among the API permissions of the app registration (or it is listed but not consented in this tenant).',
    fix: (ctx) =>
      `${portal} → ${app(ctx)} → API permissions → Add a permission → APIs my organization uses → Office 365 Exchange Online → ${userFlow(ctx) ? 'Delegated permissions → IMAP.AccessAsUser.All' : 'Application permissions → IMAP.AccessAsApp'} → Add, then "Grant admin consent".`,
  },
  {
    codes: [1002012, 70011, 700022, 28002],
    id: 'aadsts-scope-not-default',
    phrases: ["The provided value for the input parameter 'scope' is not valid", "must include a 'scope' input parameter", 'must have a scope value with /.default'],
    summary: (ctx) => (userFlow(ctx) ? 'The scope is not valid for this sign-in' : 'The scope must end in /.default for an app-only token'),
    cause: (ctx) =>
      userFlow(ctx)
        ? 'A sign-in asks for permissions of one resource at a time (IMAP, POP and SMTP are all https://outlook.office.com/…, Graph permissions are another resource), named in full as <resource>/<permission>.'
        : 'The client-credentials flow takes no individual permissions in the scope: it grants the application permissions consented in advance, requested as <resource>/.default.',
    fix: (ctx) => `Use --scope ${userFlow(ctx) ? cloudOf(ctx).delegatedScope : cloudOf(ctx).appScope} (now: ${ctx.scope}).`,
  },
  {
    codes: [50196, 90055, 429, 503],
    id: 'aadsts-throttled',
    phrases: ['client request loop', 'too many incoming requests'],
    summary: 'The token endpoint is throttling or temporarily unavailable',
    cause: 'Too many requests in a short time (or a service problem). Nothing is wrong with the configuration.',
    fix: (ctx) => {
      const after = ctx.token.error?.retryAfterSeconds;
      const wait = after !== undefined ? `Wait ${after} s (the server's Retry-After)` : 'Wait (honour Retry-After when given)';
      return `${wait} and retry (--retries N waits and retries); cache tokens (--token-cache) instead of requesting one per run.`;
    },
  },
  {
    codes: [7000112],
    id: 'aadsts-app-disabled',
    summary: 'The application is disabled',
    cause: 'The enterprise application (service principal) is disabled in this tenant.',
    fix: (ctx) => `Entra admin center → Enterprise applications → ${app(ctx)} → Properties → "Enabled for users to sign in?" → Yes.`,
  },
  {
    codes: [50194, 9002332],
    id: 'aadsts-account-type-not-supported',
    phrases: ["isn't configured as a multitenant application", 'is configured for use by Microsoft Entra users only', 'Azure AD users only'],
    summary: "The app's supported account types do not include this endpoint's accounts",
    cause: (ctx) => `A single-tenant app cannot sign in through /common, and an app for work and school accounts only cannot sign in through /consumers (personal Microsoft accounts). The tenant asked: ${tenant(ctx)}.`,
    fix: (ctx) => `Use --tenant with the app's own directory ID for work accounts; for personal accounts (outlook.com, hotmail.com) set ${portal} → ${app(ctx)} → Authentication → Supported account types to include personal Microsoft accounts, and use --tenant consumers.`,
  },
  {
    codes: [50011, 900971, 500113],
    id: 'aadsts-redirect-uri',
    phrases: ['does not match the redirect URIs configured', 'No reply address'],
    summary: 'The redirect URI is not registered for the app',
    cause: 'The browser sign-in (--flow interactive) returns to http://localhost on a loopback port; the app registration has no such redirect URI.',
    fix: (ctx) => `${portal} → ${app(ctx)} → Authentication → Add a platform → Mobile and desktop applications → custom redirect URI http://localhost → Configure. Or use --flow device-code, which needs no redirect URI.`,
  },
];
