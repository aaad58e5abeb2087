// A local HTTPS stand-in for the Microsoft identity platform (Entra ID), just enough of it for the
// flows that MSAL runs (client credentials, device code, authorization code with PKCE, refresh): instance
// discovery, OpenID configuration, JWKS and the v2.0 authorize, devicecode and token endpoints. It answers with Entra's paths, JSON shapes, status codes and AADSTS wording so that the code
// under test (and a newcomer running `imap-oauth demo`) sees what production would show.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { X509Certificate, createHash, createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { parseJwt, signJwt, verifyJwt } from './jwt.js';
import { GRAPH_RESOURCES, graphReply } from './graph-server.js';

export interface SandboxApp {
  clientId: string;
  tenantId: string;
  displayName?: string;
  /** endDateTime and displayName: what the Graph route shows for the secret (default a year ahead, or past when expired). */
  secrets?: { value: string; expired?: boolean; displayName?: string; endDateTime?: string }[];
  /** Every certificate uploaded; the Graph route lists each with its notAfter, expired ones too. */
  certificates?: string[];
  roles?: string[];
  /** Microsoft Graph application permissions granted (e.g. Application.Read.All for --check-app). */
  graphRoles?: string[];
  servicePrincipalId?: string;
  /** "Allow public client flows" (device code without a client credential); default false. */
  publicClient?: boolean;
}
export interface SandboxTenant {
  id: string;
  domains: string[];
  /** The directory's display name, which Entra quotes in AADSTS700016; default the first domain. */
  displayName?: string;
}
export type TokenFault =
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'html500' }
  | { kind: 'empty-token' }
  | { kind: 'aadsts'; code: number; retryAfterSeconds?: number }
  | { kind: 'raw'; status: number; headers?: Record<string, string>; body: string };
export interface IdentityServerOptions {
  tls: { keyPem: string; certPem: string };
  signingKey: { kid: string; privateKeyPem: string };
  tenants: SandboxTenant[];
  apps: SandboxApp[];
  host?: string;
  port?: number;
  tokenLifetimeSeconds?: number;
  clockSkewSeconds?: number;
  /** The device code reply's `interval` (MSAL waits this long between polls; fractions work); default 5. */
  deviceCodeIntervalSeconds?: number;
  /** The device code reply's `expires_in`; default 900. */
  deviceCodeExpiresSeconds?: number;
  /**
   * Answer `slow_down` to a device code poll that comes sooner than `interval` after the previous one.
   * Default false: Entra is not known to send it, and MSAL treats it as a fatal error.
   */
  deviceCodeSlowDown?: boolean;
  /** How long an unused refresh token stays valid (Entra: 90 days of inactivity); default 90 days. */
  refreshTokenLifetimeSeconds?: number;
  /** How long an authorization code can be redeemed (Entra: 10 minutes); default 600. */
  authorizationCodeLifetimeSeconds?: number;
  /**
   * Host names this stand-in answers as besides its own address, e.g. 'login.microsoftonline.us' for
   * a national cloud reached with --connect-to: client assertions may name them in their audience.
   */
  names?: string[];
  /** Exchange Online's resource URIs in this cloud; default the worldwide ones (outlook.office365.com, outlook.office.com). */
  exchangeResources?: string[];
}
/** The signed-in user that approves a device code. */
export interface SandboxUser {
  upn: string;
  /** The user's object ID; default a GUID derived from the UPN. */
  oid?: string;
  /** Display name (`name` claim); default the UPN's local part. */
  name?: string;
}
export type DeviceCodeState = 'pending' | 'approved' | 'declined' | 'expired';
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  form?: Record<string, string>;
  /** The Host header: the name the client asked for. */
  host?: string;
  at: number;
}
export interface IdentityServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  issuedTokens: string[];
  setFault(fault: TokenFault | null): void;
  /** The user signs in at the verification page and enters this code. Throws for an unknown code. */
  approveDeviceCode(userCode: string, user: SandboxUser): void;
  /** The user enters the code and then declines ("No, cancel sign-in"). Throws for an unknown code. */
  declineDeviceCode(userCode: string): void;
  /** The code's lifetime ends now, as if nobody had signed in in time (deterministic, unlike a short expires_in). */
  expireDeviceCode(userCode: string): void;
  /** Every device code issued so far, oldest first. */
  deviceCodes(): { userCode: string; state: DeviceCodeState }[];
  /** Every refresh token issued so far (device code and refresh grants), oldest first. */
  issuedRefreshTokens: string[];
  /** Revokes every refresh token issued so far: redeeming one then fails with AADSTS700082. */
  revokeRefreshTokens(): void;
  /**
   * Who signs in at the authorize endpoint (authorization code flow). null (the default): the user
   * declines, and the client gets `access_denied` (AADSTS65004; `login_required` AADSTS50058 for prompt=none).
   */
  setInteractiveUser(user: SandboxUser | null): void;
  /** Every authorization code issued so far, oldest first. */
  issuedAuthorizationCodes: string[];
  close(): Promise<void>;
}

/** What an AADSTS message can name; anything unknown is left out of the wording. */
export interface AadstsContext {
  tenant?: string;
  clientId?: string;
  appName?: string;
  resource?: string;
  scope?: string;
  grantType?: string;
  /** 900144: the missing form parameter. */
  parameter?: string;
  /** 700027: why the assertion's key was rejected, and the thumbprint the client named (hex). */
  keyProblem?: 'not-found' | 'expired' | 'bad-signature';
  thumbprint?: string;
  keyValidity?: { start: Date; end: Date };
  /** 700024: the times Entra quotes. */
  times?: { now: Date; validFrom: Date; expires: Date };
  /** 700082: when the refresh token was issued and the inactivity limit Entra quotes. */
  refreshToken?: { issuedAt: Date; maxInactiveSeconds: number };
  /** Overrides the entry's OAuth `error` (70000 is `invalid_grant` in general, `authorization_declined` in the device flow). */
  oauthError?: string;
  /** 50011 / 500112: the redirect URI sent, and (500112) the one the code was issued for. */
  redirectUri?: string;
  expectedRedirectUri?: string;
}

const q = (v: string | undefined) => (v ? ` '${v}'` : '');
const CERT_DOCS = 'Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .';
// Entra quotes assertion times with 7 fractional digits (.NET round-trip format).
const netTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
// .NET TimeSpan "d.hh:mm:ss", as in "inactive for 90.00:00:00".
const netSpan = (seconds: number) => {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 86400)}.${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
};
const netDate = (d: Date) => {
  const [, y, mo, day, time] = /^(\d+)-(\d+)-(\d+)T(\d+:\d+:\d+)/.exec(d.toISOString()) ?? [];
  return `${mo}/${day}/${y} ${time}`;
};

type Entry = { error: string; status: number; text: (c: AadstsContext) => string };
const AADSTS: Record<number, Entry> = {
  50027: { status: 400, error: 'invalid_request', text: () => 'JWT token is invalid or malformed.' },
  50049: { status: 400, error: 'invalid_instance', text: () => 'Unknown or invalid instance.' },
  50059: {
    status: 400,
    error: 'invalid_request',
    text: () => 'No tenant-identifying information found in either the request or implied by any provided credentials.',
  },
  90002: {
    status: 400,
    error: 'invalid_request',
    text: (c) =>
      `Tenant${q(c.tenant)} not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. ` +
      'Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.',
  },
  70003: {
    status: 400,
    error: 'unsupported_grant_type',
    text: (c) => `The app requested an unsupported grant type${q(c.grantType)}.`,
  },
  900144: {
    status: 400,
    error: 'invalid_request',
    text: (c) => `The request body must contain the following parameter:${q(c.parameter)}.`,
  },
  900561: {
    status: 400,
    error: 'invalid_request',
    text: () => 'The endpoint only accepts POST, OPTIONS requests. Received a GET request.',
  },
  700016: {
    status: 400,
    error: 'unauthorized_client',
    text: (c) =>
      `Application with identifier${q(c.clientId)} was not found in the directory${q(c.tenant)}. ` +
      'This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. ' +
      'You may have sent your authentication request to the wrong tenant.',
  },
  7000218: {
    status: 401,
    error: 'invalid_client',
    text: () => "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  },
  7000215: {
    status: 401,
    error: 'invalid_client',
    text: (c) =>
      'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, ' +
      `not the client secret ID, for a secret added to app${q(c.clientId)}.`,
  },
  7000222: {
    status: 401,
    error: 'invalid_client',
    text: (c) =>
      `The provided client secret keys for app${q(c.clientId)} are expired. Visit the Azure portal to create new keys for your app: ` +
      'https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.',
  },
  700027: { status: 401, error: 'invalid_client', text: describe700027 },
  700021: {
    status: 401,
    error: 'invalid_client',
    text: () => `Client assertion application identifier doesn't match 'client_id' parameter. ${CERT_DOCS}`,
  },
  700023: {
    status: 401,
    error: 'invalid_client',
    text: () => `Client assertion audience claim does not match Realm issuer. ${CERT_DOCS}`,
  },
  700024: {
    status: 401,
    error: 'invalid_client',
    text: (c) =>
      'Client assertion is not within its valid time range.' +
      (c.times
        ? ` Current time: ${netTime(c.times.now)}, assertion valid from ${netTime(c.times.validFrom)},` +
          ` expiry time of assertion ${netTime(c.times.expires)}.`
        : '') +
      ` ${CERT_DOCS}`,
  },
  500011: {
    status: 400,
    error: 'invalid_resource',
    text: (c) =>
      `The resource principal${c.resource ? ` named ${c.resource}` : ''} was not found in the tenant${c.tenant ? ` named ${c.tenant}` : ''}. ` +
      'This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. ' +
      'You might have sent your authentication request to the wrong tenant.',
  },
  1002012: {
    status: 400,
    error: 'invalid_scope',
    text: (c) =>
      `The provided value for scope${c.scope ? ` ${c.scope}` : ''} is not valid. Client credential flows must have a scope value ` +
      'with /.default suffixed to the resource identifier (application ID URI).',
  },
  70011: {
    status: 400,
    error: 'invalid_scope',
    // As Entra words it: the scope is not quoted.
    text: (c) =>
      "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid." +
      `${c.scope ? ` The scope ${c.scope} is not valid.` : ''}`,
  },
  53003: {
    status: 400,
    error: 'access_denied',
    text: () => 'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
  },
  // A Conditional Access variant that Microsoft's error reference does not list (seen in public threads).
  53005: { status: 400, error: 'invalid_grant', text: () => 'Application needs to enforce Intune protection policies.' },
  50196: {
    status: 400,
    error: 'temporarily_unavailable',
    text: () => 'The server terminated an operation because it encountered a client request loop. Please contact your app vendor.',
  },
  // Device code flow (token endpoint, grant_type urn:ietf:params:oauth:grant-type:device_code).
  70016: {
    status: 400,
    error: 'authorization_pending',
    text: (c) =>
      c.oauthError === 'slow_down'
        ? 'OAuth 2.0 device flow error. Polling too frequently; wait the interval between requests.'
        : 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
  },
  70018: {
    status: 400,
    error: 'bad_verification_code',
    text: () => 'Invalid verification code due to User typing in wrong user code for device code flow. Authorization is not approved.',
  },
  70020: {
    status: 400,
    error: 'expired_token',
    text: () => "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
  },
  70000: {
    status: 400,
    error: 'invalid_grant',
    text: (c) =>
      c.oauthError === 'authorization_declined'
        ? 'The user has declined the authorization request. Authorization is not approved.'
        : 'Provided grant is invalid or malformed.',
  },
  // Refresh token grant.
  9002313: {
    status: 400,
    error: 'invalid_grant',
    text: () => 'Invalid request. Request is malformed or invalid.',
  },
  700082: {
    status: 400,
    error: 'invalid_grant',
    text: (c) =>
      'The refresh token has expired due to inactivity.' +
      (c.refreshToken
        ? ` The token was issued on ${netTime(c.refreshToken.issuedAt)} and was inactive for ${netSpan(c.refreshToken.maxInactiveSeconds)}.`
        : ''),
  },
  // Authorization code flow: the authorize endpoint (50011 on Entra's error page; 65004, 50058 redirected)
  // and the token endpoint (grant_type authorization_code).
  50011: {
    status: 400,
    error: 'invalid_request',
    text: (c) =>
      `The redirect URI${q(c.redirectUri)} specified in the request does not match the redirect URIs configured for the application${q(c.clientId)}. ` +
      'Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. ' +
      'Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.',
  },
  65004: { status: 400, error: 'access_denied', text: () => 'User declined to consent to access the app.' },
  50058: {
    status: 400,
    error: 'login_required',
    text: () => 'A silent sign-in request was sent but no user is signed in.',
  },
  54005: {
    status: 400,
    error: 'invalid_grant',
    text: () => 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
  },
  70008: {
    status: 400,
    error: 'invalid_grant',
    text: () =>
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
  },
  501481: {
    status: 400,
    error: 'invalid_grant',
    text: () => 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
  },
  500112: {
    status: 400,
    error: 'invalid_grant',
    text: (c) =>
      `The reply address${q(c.redirectUri)} does not match the reply address${q(c.expectedRedirectUri)} provided when requesting Authorization code.`,
  },
  7000112: {
    status: 400,
    error: 'unauthorized_client',
    text: (c) => `Application${q(c.clientId)}${c.appName ? `(${c.appName})` : ''} is disabled.`,
  },
};

function describe700027(c: AadstsContext): string {
  if (c.keyProblem === 'bad-signature' || !c.keyProblem) return 'Client assertion failed signature validation.';
  const thumb = c.thumbprint ? `, Thumbprint of key used by client: '${c.thumbprint}'` : '';
  if (c.keyProblem === 'expired') {
    const found = c.keyValidity ? `, Found key 'Start=${netDate(c.keyValidity.start)}, End=${netDate(c.keyValidity.end)}'` : '';
    return `Client assertion contains an invalid signature. [Reason - The key used is expired.${thumb}${found}]`;
  }
  return (
    `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found.${thumb}, ` +
    `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id${q(c.clientId)}. ` +
    'Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and ' +
    'https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, ' +
    "such as 'https://graph.microsoft.com/beta/applications/{objectId}'.]"
  );
}

/**
 * Entra's OAuth error, HTTP status and description (without the `AADSTS<code>: ` prefix and the
 * trace/correlation/timestamp suffix) for an AADSTS code. Context fills the names Entra quotes.
 */
export function describeAadsts(code: number, ctx: AadstsContext = {}): { error: string; status: number; description: string } {
  const entry = AADSTS[code];
  if (!entry) return { error: 'invalid_request', status: 400, description: `Error ${code}.` };
  return { error: ctx.oauthError ?? entry.error, status: entry.status, description: entry.text(ctx) };
}

/** Thrown inside request handling; turned into Entra's error body at the top. */
class Aadsts extends Error {
  constructor(
    readonly code: number,
    readonly ctx: AadstsContext = {},
  ) {
    super(`AADSTS${code}`);
  }
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const EXCHANGE_APP_ID = '00000002-0000-0ff1-ce00-000000000000';
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
type KnownResources = Map<string, { appId: string; exchange: boolean }>;
// https://ps.outlook.com is another identifier of Office 365 Exchange Online (MailKit's guide and
// Microsoft's consent instructions request IMAP tokens for it).
const WORLDWIDE_EXCHANGE = ['https://outlook.office365.com', 'https://outlook.office.com', 'https://ps.outlook.com'];
/** Resource identifiers a stand-in knows, keyed by lower-case identifier URI or app ID. */
function knownResources(exchange: readonly string[] = WORLDWIDE_EXCHANGE): KnownResources {
  return new Map([
    ...exchange.map((uri) => [uri.toLowerCase().replace(/\/+$/, ''), { appId: EXCHANGE_APP_ID, exchange: true }] as const),
    [EXCHANGE_APP_ID, { appId: EXCHANGE_APP_ID, exchange: true }],
    ...GRAPH_RESOURCES.map((uri) => [uri, { appId: GRAPH_APP_ID, exchange: false }] as const),
    [GRAPH_APP_ID, { appId: GRAPH_APP_ID, exchange: false }],
  ]);
}
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
// RFC 8628's URN, and the short form MSAL sends; Entra takes both.
const DEVICE_CODE_GRANTS = new Set(['urn:ietf:params:oauth:grant-type:device_code', 'device_code']);
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const VERIFICATION_URI = 'https://microsoft.com/devicelogin';
/** Entra's user codes are nine upper-case letters (e.g. "BPPVYQZMA"). */
const newUserCode = () => Array.from(randomBytes(9), (b) => String.fromCharCode(65 + (b % 26))).join('');

/** What a delegated token reply is built from: a redeemed device code, authorization code or refresh token. */
interface DelegatedGrant {
  tenant: SandboxTenant;
  app: SandboxApp;
  scopes: ReturnType<typeof parseDelegatedScopes>;
  user: Required<SandboxUser>;
  /** The authorize request's nonce, echoed in the id token. */
  nonce?: string;
}
interface AuthorizationCode {
  code: string;
  tenant: SandboxTenant;
  app: SandboxApp;
  redirectUri: string;
  scopes: ReturnType<typeof parseDelegatedScopes>;
  user: Required<SandboxUser>;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  nonce?: string;
  issuedAt: number;
  redeemed: boolean;
}
/** Redirect URIs a public client may use without registering them: loopback, any port and path (RFC 8252). */
function isLoopbackRedirect(uri: string): boolean {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  return u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) && !u.username && !u.password && !u.hash;
}
const escapeHtml = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
interface RefreshToken {
  token: string;
  tenant: SandboxTenant;
  app: SandboxApp;
  user: Required<SandboxUser>;
  issuedAt: number;
  revoked: boolean;
}
const DEFAULT_REFRESH_LIFETIME_SECONDS = 90 * 24 * 3600;

interface DeviceCode {
  deviceCode: string;
  userCode: string;
  tenant: SandboxTenant;
  app: SandboxApp;
  scopes: ReturnType<typeof parseDelegatedScopes>;
  expiresAt: number;
  state: 'pending' | 'approved' | 'declined';
  user?: Required<SandboxUser>;
  redeemed: boolean;
  lastPollAt?: number;
}

/**
 * Delegated scopes as Entra reads them: OIDC scopes apart, every other scope `<resource>/<permission>`
 * (a bare permission means Microsoft Graph), all for one resource.
 */
function parseDelegatedScopes(scope: string | undefined, tenant: SandboxTenant, resources: KnownResources) {
  const all = scope?.trim() ? scope.trim().split(/\s+/) : [];
  if (all.length === 0) throw new Aadsts(900144, { parameter: 'scope' });
  const oidc = all.filter((s) => OIDC_SCOPES.has(s.toLowerCase())).map((s) => s.toLowerCase());
  let resource: string | undefined;
  const permissions: string[] = [];
  for (const s of all.filter((x) => !OIDC_SCOPES.has(x.toLowerCase()))) {
    const slash = s.lastIndexOf('/');
    const [res, perm] = slash > 0 ? [s.slice(0, slash).replace(/\/+$/, ''), s.slice(slash + 1)] : ['https://graph.microsoft.com', s];
    if (resource !== undefined && resource.toLowerCase() !== res.toLowerCase()) throw new Aadsts(70011, { scope });
    resource = res;
    if (perm && perm !== '.default') permissions.push(perm);
  }
  // Only OIDC scopes: Entra answers with a Graph token for User.Read.
  if (resource === undefined) {
    resource = 'https://graph.microsoft.com';
    permissions.push('User.Read');
  }
  const known = resources.get(resource.toLowerCase());
  if (!known) throw new Aadsts(500011, { resource, tenant: tenant.domains[0] ?? tenant.id });
  return { resource, known, permissions, oidc, granted: [...permissions.map((p) => `${resource}/${p}`), ...oidc] };
}
const ASSERTION_SKEW_SECONDS = 300;
// Entra back-dates iat/nbf of issued tokens by five minutes so that resource servers with slightly slow
// clocks accept them at once.
const BACKDATE_SECONDS = 300;

const entraTimestamp = (d = new Date()) => d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const guidFrom = (seed: string) => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const guidBytes = (g: string) => Buffer.from(g.replace(/-/g, '').padEnd(32, '0').slice(0, 32), 'hex');

function json(status: number, value: unknown, extra: Record<string, string> = {}): Reply {
  return {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store, no-cache',
      pragma: 'no-cache',
      ...extra,
    },
    body: JSON.stringify(value),
  };
}

/** Entra's error body: description carries trace, correlation and timestamp, as the real one does. */
function aadstsReply(base: string, code: number, ctx: AadstsContext, correlationId: string | undefined, retryAfterSeconds?: number): Reply {
  const { error, status, description } = describeAadsts(code, ctx);
  const traceId = randomUUID();
  const correlation = correlationId ?? randomUUID();
  const timestamp = entraTimestamp();
  const headers: Record<string, string> = { 'x-ms-request-id': traceId };
  if (correlationId) headers['client-request-id'] = correlationId;
  let httpStatus = status;
  if (retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(retryAfterSeconds);
    // Throttling-type failures come back as 429 when the service names a retry time.
    if (error === 'temporarily_unavailable' || status === 429 || status === 503) httpStatus = 429;
  }
  return json(
    httpStatus,
    {
      error,
      // Entra separates the trailer with CRLF (Microsoft's error reference shows the same shape).
      error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlation,
      error_uri: `${base}/error?code=${code}`,
    },
    headers,
  );
}

/** Entra's sign-in error page, for authorize errors it cannot send back to an unvalidated redirect URI. */
function errorPage(code: number, ctx: AadstsContext, correlationId: string | undefined): Reply {
  const { description } = describeAadsts(code, ctx);
  const rows: [string, string][] = [
    ['Request Id', randomUUID()],
    ['Correlation Id', correlationId ?? randomUUID()],
    ['Timestamp', new Date().toISOString()],
    ['Message', `AADSTS${code}: ${description}`],
  ];
  const body =
    '<!DOCTYPE html>\r\n<html dir="ltr" lang="en"><head><title>Sign in to your account</title></head><body>' +
    "<div id=\"login_workload_logo_text\">Sign in</div><div role=\"alert\">Sorry, but we're having trouble signing you in.</div>" +
    `<div id="debugDetailsBanner">${rows.map(([k, v]) => `<div><span class="bold">${k}:</span> <span>${escapeHtml(v)}</span></div>`).join('')}</div>` +
    '</body></html>\r\n';
  return { status: 400, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store, no-cache' }, body };
}

/** Sends authorize results back to the client in its response_mode: query/fragment as a 302, form_post as Entra's auto-posting form. */
function authorizeResponse(redirectUri: string, mode: string | undefined, params: [string, string][]): Reply {
  const noStore = { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' };
  if (mode === 'form_post') {
    const inputs = params.map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}" />`).join('');
    return {
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', ...noStore },
      body:
        `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="${escapeHtml(redirectUri)}">${inputs}` +
        '<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form>' +
        '<script language="javascript">document.forms[0].submit();</script></body></html>',
    };
  }
  const encoded = new URLSearchParams(params).toString();
  const location =
    mode === 'fragment' ? `${redirectUri.split('#')[0]}#${encoded}` : `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${encoded}`;
  return { status: 302, headers: { location, ...noStore }, body: '' };
}

const HTML_500 =
  '<!DOCTYPE html>\r\n<html><head><title>Runtime Error</title></head>\r\n<body><h1>Server Error in \'/\' Application.</h1>' +
  '<h2><i>Runtime Error</i></h2></body></html>\r\n';

export async function startIdentityServer(opts: IdentityServerOptions): Promise<IdentityServer> {
  const requests: RecordedRequest[] = [];
  const issuedTokens: string[] = [];
  const sockets = new Set<Socket>();
  let fault: TokenFault | null = null;
  const deviceCodeList: DeviceCode[] = [];
  const refreshTokens = new Map<string, RefreshToken>();
  const issuedRefreshTokens: string[] = [];
  const refreshLifetime = opts.refreshTokenLifetimeSeconds ?? DEFAULT_REFRESH_LIFETIME_SECONDS;
  const authCodes = new Map<string, AuthorizationCode>();
  const issuedAuthorizationCodes: string[] = [];
  let interactiveUser: Required<SandboxUser> | null = null;
  let base = '';
  let port = 0;
  const resources = knownResources(opts.exchangeResources);
  const names = (opts.names ?? []).map((n) => n.toLowerCase());
  const lifetime = opts.tokenLifetimeSeconds ?? 3599;
  const skew = opts.clockSkewSeconds ?? 0;
  const graphKey = createPublicKey(opts.signingKey.privateKeyPem);
  const signingKey = graphKey.export({ format: 'jwk' });

  const findTenant = (seg: string) => {
    const s = seg.toLowerCase();
    return opts.tenants.find((t) => t.id.toLowerCase() === s || t.domains.some((d) => d.toLowerCase() === s));
  };
  const tenantName = (t: SandboxTenant) => t.domains[0] ?? t.id;
  /** How AADSTS700016 names a directory: its display name. */
  const directoryName = (t: SandboxTenant) => t.displayName ?? tenantName(t);

  function openIdConfiguration(seg: string, correlationId?: string): Reply {
    const multi = seg === 'common' || seg === 'organizations';
    const tenant = multi ? undefined : findTenant(seg);
    if (!multi && !tenant) return aadstsReply(base, 90002, { tenant: seg }, correlationId);
    // Like Entra: a domain resolves to the tenant GUID; common/organizations keep the alias and a
    // templated issuer.
    const t = tenant?.id ?? seg;
    const oauth = `${base}/${t}/oauth2/v2.0`;
    return json(200, {
      token_endpoint: `${oauth}/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/${t}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${base}/${tenant?.id ?? '{tenantid}'}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
      authorization_endpoint: `${oauth}/authorize`,
      device_authorization_endpoint: `${oauth}/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${oauth}/logout`,
      claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
      kerberos_endpoint: `${base}/${t}/kerberos`,
      tenant_region_scope: null,
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    });
  }

  function instanceDiscovery(query: Record<string, string>, correlationId?: string): Reply {
    const authHost = `localhost:${port}`;
    let tenant = '{tenant}';
    const endpoint = query['authorization_endpoint'];
    if (endpoint) {
      let u: URL;
      try {
        u = new URL(endpoint);
      } catch {
        return aadstsReply(base, 50049, {}, correlationId);
      }
      if (!isOwnHost(u)) return aadstsReply(base, 50049, {}, correlationId);
      // Entra answers with the tenant taken from the authorization endpoint it was asked about.
      tenant = u.pathname.split('/')[1] || tenant;
    }
    return json(200, {
      tenant_discovery_endpoint: `${base}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: authHost, preferred_cache: authHost, aliases: [authHost] }],
    });
  }

  function keys(seg: string, correlationId?: string): Reply {
    const tenant = findTenant(seg);
    if (!tenant && seg !== 'common' && seg !== 'organizations') return aadstsReply(base, 90002, { tenant: seg }, correlationId);
    const { kid } = opts.signingKey;
    return json(200, {
      keys: [{ kty: 'RSA', use: 'sig', kid, x5t: kid, n: signingKey.n, e: signingKey.e, issuer: `${base}/${tenant?.id ?? '{tenantid}'}/v2.0` }],
    });
  }

  const isOwnHost = (u: URL) =>
    u.protocol === 'https:' &&
    ((Number(u.port) === port && ['localhost', '127.0.0.1', opts.host ?? '127.0.0.1'].includes(u.hostname)) ||
      (names.includes(u.hostname) && (u.port === '' || Number(u.port) === port)));

  /** The assertion's audience must be this tenant's token endpoint (v2 or v1), as Entra's "realm" check. */
  function audienceMatches(aud: unknown, tenant: SandboxTenant): boolean {
    const auds = Array.isArray(aud) ? aud : [aud];
    return auds.some((a) => {
      if (typeof a !== 'string') return false;
      let u: URL;
      try {
        u = new URL(a);
      } catch {
        return false;
      }
      const m = /^\/([^/]+)\/oauth2\/(?:v2\.0\/)?token\/?$/.exec(u.pathname);
      return isOwnHost(u) && !!m && findTenant(decodeURIComponent(m[1] ?? '')) === tenant;
    });
  }

  /** Checks a certificate credential the way Entra orders it: key, signature, issuer, audience, lifetime. */
  function checkAssertion(assertion: string, app: SandboxApp, tenant: SandboxTenant): void {
    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    try {
      ({ header, payload } = parseJwt(assertion));
    } catch {
      throw new Aadsts(50027);
    }
    const x5tS256 = header['x5t#S256'];
    const x5t = header['x5t'];
    const [named, algo] = typeof x5tS256 === 'string' ? [x5tS256, 'sha256'] : typeof x5t === 'string' ? [x5t, 'sha1'] : [undefined, 'sha1'];
    const thumbprint = named ? Buffer.from(named, 'base64url').toString('hex').toUpperCase() : undefined;
    const cert = (app.certificates ?? [])
      .map((pem) => new X509Certificate(pem))
      .find((c) => thumbprint && createHash(algo).update(c.raw).digest('hex').toUpperCase() === thumbprint);
    const ctx: AadstsContext = { clientId: app.clientId, thumbprint };
    if (!cert) throw new Aadsts(700027, { ...ctx, keyProblem: 'not-found' });
    const start = new Date(cert.validFrom);
    const end = new Date(cert.validTo);
    if (Date.now() < start.getTime() || Date.now() > end.getTime()) {
      throw new Aadsts(700027, { ...ctx, keyProblem: 'expired', keyValidity: { start, end } });
    }
    try {
      verifyJwt(assertion, cert.publicKey);
    } catch {
      throw new Aadsts(700027, { ...ctx, keyProblem: 'bad-signature' });
    }
    if (payload['iss'] !== app.clientId || payload['sub'] !== app.clientId) throw new Aadsts(700021);
    if (!audienceMatches(payload['aud'], tenant)) throw new Aadsts(700023);
    const now = Date.now() / 1000;
    const exp = typeof payload['exp'] === 'number' ? payload['exp'] : 0;
    const nbf = typeof payload['nbf'] === 'number' ? payload['nbf'] : 0;
    if (now > exp + ASSERTION_SKEW_SECONDS || now < nbf - ASSERTION_SKEW_SECONDS) {
      throw new Aadsts(700024, { times: { now: new Date(), validFrom: new Date(nbf * 1000), expires: new Date(exp * 1000) } });
    }
  }

  /** Checks a client secret or certificate assertion if one was sent; its `appidacr`, or null for none. */
  function clientCredential(app: SandboxApp, tenant: SandboxTenant, form: Record<string, string>): '1' | '2' | null {
    const secret = form['client_secret'];
    const assertion = form['client_assertion'];
    if (secret !== undefined) {
      const matches = (app.secrets ?? []).filter((s) => s.value === secret);
      if (matches.length === 0) throw new Aadsts(7000215, { clientId: app.clientId });
      if (matches.every((s) => s.expired)) throw new Aadsts(7000222, { clientId: app.clientId });
      return '1';
    }
    if (assertion !== undefined && form['client_assertion_type'] === JWT_BEARER) {
      checkAssertion(assertion, app, tenant);
      return '2';
    }
    return null;
  }

  /** Tenant and app of a delegated request; `common`/`organizations` resolve to the app's home tenant. */
  function findTenantAndApp(seg: string, form: Record<string, string>): { tenant: SandboxTenant; app: SandboxApp } {
    const multi = seg === 'common' || seg === 'organizations';
    const tenant = multi ? undefined : findTenant(seg);
    if (!multi && !tenant) throw new Aadsts(90002, { tenant: seg });
    const clientId = form['client_id'];
    if (!clientId) throw new Aadsts(900144, { parameter: 'client_id' });
    const app = opts.apps.find(
      (a) => a.clientId.toLowerCase() === clientId.toLowerCase() && (!tenant || a.tenantId.toLowerCase() === tenant.id.toLowerCase()),
    );
    const home = tenant ?? opts.tenants.find((t) => t.id.toLowerCase() === app?.tenantId.toLowerCase());
    if (!app || !home) throw new Aadsts(700016, { clientId, tenant: tenant ? directoryName(tenant) : seg });
    return { tenant: home, app };
  }

  /** POST /{tenant}/oauth2/v2.0/devicecode: Entra hands out codes to any registered app. */
  function deviceCodeReply(seg: string, form: Record<string, string>, correlationId?: string): Reply {
    try {
      const { tenant, app } = findTenantAndApp(seg, form);
      const scopes = parseDelegatedScopes(form['scope'], tenant, resources);
      const expiresIn = opts.deviceCodeExpiresSeconds ?? 900;
      const rec: DeviceCode = {
        deviceCode: `DAQABIQEAAAB${randomBytes(96).toString('base64url')}`,
        userCode: newUserCode(),
        tenant,
        app,
        scopes,
        expiresAt: Date.now() + expiresIn * 1000,
        state: 'pending',
        redeemed: false,
      };
      deviceCodeList.push(rec);
      return json(200, {
        user_code: rec.userCode,
        device_code: rec.deviceCode,
        verification_uri: VERIFICATION_URI,
        expires_in: expiresIn,
        interval: opts.deviceCodeIntervalSeconds ?? 5,
        message: `To sign in, use a web browser to open the page ${VERIFICATION_URI} and enter the code ${rec.userCode} to authenticate.`,
      });
    } catch (e) {
      if (e instanceof Aadsts) return aadstsReply(base, e.code, e.ctx, correlationId);
      throw e;
    }
  }

  const deviceCodeState = (rec: DeviceCode): DeviceCodeState =>
    rec.state !== 'declined' && !rec.redeemed && Date.now() > rec.expiresAt ? 'expired' : rec.state;

  function findUserCode(userCode: string): DeviceCode {
    const rec = deviceCodeList.find((r) => r.userCode === userCode.replace(/[\s-]/g, '').toUpperCase());
    if (!rec) throw new Error(`no device code with user code ${userCode}`);
    const state = deviceCodeState(rec);
    if (state !== 'pending') throw new Error(`device code ${rec.userCode} is ${state}, not pending`);
    return rec;
  }

  /**
   * The checks every user grant starts with, in Entra's order: tenant and app; an app with "Allow
   * public client flows" off must authenticate itself; the grant's own parameter must be there.
   */
  function userGrant(seg: string, form: Record<string, string>, parameter: string) {
    const { tenant, app } = findTenantAndApp(seg, form);
    const credential = clientCredential(app, tenant, form);
    if (!credential && !app.publicClient) throw new Aadsts(7000218);
    const value = form[parameter];
    if (!value) throw new Aadsts(900144, { parameter });
    return { tenant, app, value, appidacr: credential ?? ('0' as const) };
  }

  /** Token endpoint, device code grant, in Entra's order; the token reply once the user approved. */
  function redeemDeviceCode(seg: string, form: Record<string, string>): Record<string, unknown> {
    const { tenant, app, value: code, appidacr } = userGrant(seg, form, 'device_code');
    const rec = deviceCodeList.find((r) => r.deviceCode === code && r.app === app);
    if (!rec) throw new Aadsts(70018);
    const state = deviceCodeState(rec);
    if (state === 'expired' || rec.redeemed) throw new Aadsts(70020);
    if (state === 'declined') throw new Aadsts(70000, { oauthError: 'authorization_declined' });
    const now = Date.now();
    const last = rec.lastPollAt;
    rec.lastPollAt = now;
    if (state === 'pending') {
      const interval = (opts.deviceCodeIntervalSeconds ?? 5) * 1000;
      if (opts.deviceCodeSlowDown && last !== undefined && now - last < interval) throw new Aadsts(70016, { oauthError: 'slow_down' });
      throw new Aadsts(70016);
    }
    rec.redeemed = true;
    return issueUserTokens({ tenant, app, scopes: rec.scopes, user: rec.user! }, appidacr, form['client_info'] === '1');
  }

  /**
   * Token endpoint, refresh token grant: a refresh token this server issued to this client in this tenant,
   * neither revoked nor past its inactivity limit, buys a new delegated reply (and a new refresh token).
   */
  function redeemRefreshToken(seg: string, form: Record<string, string>): Record<string, unknown> {
    const { tenant, app, value: token, appidacr } = userGrant(seg, form, 'refresh_token');
    const rec = refreshTokens.get(token);
    if (!rec) throw new Aadsts(9002313);
    // Issued to another app or in another tenant.
    if (rec.app !== app || rec.tenant !== tenant) throw new Aadsts(70000);
    if (rec.revoked || Date.now() > rec.issuedAt + refreshLifetime * 1000) {
      throw new Aadsts(700082, { refreshToken: { issuedAt: new Date(rec.issuedAt), maxInactiveSeconds: refreshLifetime } });
    }
    const scopes = parseDelegatedScopes(form['scope'], tenant, resources);
    return issueUserTokens({ tenant, app, scopes, user: rec.user }, appidacr, form['client_info'] === '1');
  }

  /**
   * GET /{tenant}/oauth2/v2.0/authorize. Tenant, app and redirect URI problems end on Entra's error page
   * (it never redirects to an unvalidated URI); once those check out, errors and the code go back to the
   * redirect URI in the requested response_mode.
   */
  function authorizeEndpoint(seg: string, query: Record<string, string>, correlationId?: string): Reply {
    let tenant: SandboxTenant;
    let app: SandboxApp;
    const redirectUri = query['redirect_uri'] ?? '';
    try {
      ({ tenant, app } = findTenantAndApp(seg, query));
      if (!redirectUri) throw new Aadsts(900144, { parameter: 'redirect_uri' });
      if (!isLoopbackRedirect(redirectUri)) throw new Aadsts(50011, { redirectUri, clientId: app.clientId });
    } catch (e) {
      if (e instanceof Aadsts) return errorPage(e.code, e.ctx, correlationId);
      throw e;
    }
    const mode = query['response_mode'];
    const state = query['state'];
    const withState = (params: [string, string][]): [string, string][] => (state !== undefined ? [...params, ['state', state]] : params);
    const fail = (code: number, ctx: AadstsContext = {}) => {
      const { error, description } = describeAadsts(code, ctx);
      const traceId = randomUUID();
      // Redirected errors carry the trace lines on separate lines (CRLF), not spaces as in token replies.
      const text = `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId ?? randomUUID()}\r\nTimestamp: ${entraTimestamp()}`;
      return authorizeResponse(redirectUri, mode, withState([['error', error], ['error_description', text], ['error_uri', `${base}/error?code=${code}`]]));
    };
    try {
      // Only the code flow here (Entra also knows id_token / token for implicit grant).
      if (query['response_type'] !== 'code') throw new Aadsts(900144, { parameter: 'response_type' });
      const challenge = query['code_challenge'];
      const method = query['code_challenge_method'] ?? (challenge ? 'plain' : undefined);
      if (method !== undefined && method !== 'S256' && method !== 'plain') throw new Aadsts(900144, { parameter: 'code_challenge_method' });
      const scopes = parseDelegatedScopes(query['scope'], tenant, resources);
      const user = interactiveUser;
      if (!user) throw new Aadsts(query['prompt'] === 'none' ? 50058 : 65004);
      const code = `1.AXkA${randomBytes(192).toString('base64url')}`;
      authCodes.set(code, {
        code,
        tenant,
        app,
        redirectUri,
        scopes,
        user,
        ...(challenge ? { codeChallenge: challenge, codeChallengeMethod: method } : {}),
        ...(query['nonce'] ? { nonce: query['nonce'] } : {}),
        issuedAt: Date.now(),
        redeemed: false,
      });
      issuedAuthorizationCodes.push(code);
      const clientInfo = Buffer.from(JSON.stringify({ uid: user.oid, utid: tenant.id })).toString('base64url');
      return authorizeResponse(redirectUri, mode, [
        ['code', code],
        ['client_info', clientInfo],
        ...(state !== undefined ? [['state', state] as [string, string]] : []),
        ['session_state', randomUUID()],
      ]);
    } catch (e) {
      if (e instanceof Aadsts) return fail(e.code, e.ctx);
      throw e;
    }
  }

  /** Token endpoint, authorization code grant: single use, within its lifetime, same client and redirect URI, PKCE. */
  function redeemAuthorizationCode(seg: string, form: Record<string, string>): Record<string, unknown> {
    const { tenant, app, value: code, appidacr } = userGrant(seg, form, 'code');
    const rec = authCodes.get(code);
    if (!rec) throw new Aadsts(9002313);
    if (rec.app !== app || rec.tenant !== tenant) throw new Aadsts(70000);
    if (rec.redeemed) throw new Aadsts(54005);
    if (Date.now() > rec.issuedAt + (opts.authorizationCodeLifetimeSeconds ?? 600) * 1000) throw new Aadsts(70008);
    const redirectUri = form['redirect_uri'];
    if (!redirectUri) throw new Aadsts(900144, { parameter: 'redirect_uri' });
    if (redirectUri !== rec.redirectUri) throw new Aadsts(500112, { redirectUri, expectedRedirectUri: rec.redirectUri });
    if (rec.codeChallenge !== undefined) {
      const verifier = form['code_verifier'] ?? '';
      const derived = rec.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (!verifier || derived !== rec.codeChallenge) throw new Aadsts(501481);
    }
    const scopes = form['scope']?.trim() ? parseDelegatedScopes(form['scope'], tenant, resources) : rec.scopes;
    rec.redeemed = true;
    const grant: DelegatedGrant = { tenant, app, scopes, user: rec.user, ...(rec.nonce ? { nonce: rec.nonce } : {}) };
    return issueUserTokens(grant, appidacr, form['client_info'] === '1');
  }

  function newRefreshToken(grant: DelegatedGrant): string {
    const token = `1.AXkA${randomBytes(96).toString('base64url')}`;
    refreshTokens.set(token, { token, tenant: grant.tenant, app: grant.app, user: grant.user, issuedAt: Date.now(), revoked: false });
    issuedRefreshTokens.push(token);
    return token;
  }

  const signed = (payload: Record<string, unknown>) => {
    const { kid, privateKeyPem } = opts.signingKey;
    return signJwt({ typ: 'JWT', alg: 'RS256', kid, x5t: kid }, payload, privateKeyPem);
  };

  /** The delegated token reply: access token (Entra v1), id token (v2), client_info and refresh token. */
  function issueUserTokens(grant: DelegatedGrant, appidacr: '0' | '1' | '2', clientInfo: boolean): Record<string, unknown> {
    const { tenant, app, scopes, user } = grant;
    const now = Math.floor(Date.now() / 1000) + skew;
    const sts = `https://sts.windows.net/${tenant.id}/`;
    const sid = randomUUID();
    // Entra's `sub` is pairwise: per user and app.
    const sub = createHash('sha256').update(`${user.oid}:${app.clientId}`).digest('base64url');
    const access = signed({
      aud: scopes.resource,
      iss: sts,
      iat: now - BACKDATE_SECONDS,
      nbf: now - BACKDATE_SECONDS,
      exp: now + lifetime,
      acr: '1',
      aio: randomBytes(48).toString('base64'),
      amr: ['pwd'],
      ...(app.displayName ? { app_displayname: app.displayName } : {}),
      appid: app.clientId,
      appidacr,
      ipaddr: '127.0.0.1',
      name: user.name,
      oid: user.oid,
      rh: `0.${Buffer.concat([guidBytes(tenant.id), guidBytes(scopes.known.appId), Buffer.alloc(17)]).toString('base64url')}.`,
      scp: scopes.permissions.join(' '),
      sid,
      sub,
      tid: tenant.id,
      unique_name: user.upn,
      upn: user.upn,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
    });
    issuedTokens.push(access);
    const reply: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: scopes.granted.filter((s) => s !== 'offline_access').join(' '),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: access,
    };
    if (scopes.oidc.includes('offline_access')) reply['refresh_token'] = newRefreshToken(grant);
    if (scopes.oidc.includes('openid')) {
      reply['id_token'] = signed({
        aud: app.clientId,
        iss: `${base}/${tenant.id}/v2.0`,
        iat: now - BACKDATE_SECONDS,
        nbf: now - BACKDATE_SECONDS,
        exp: now + lifetime,
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
        name: user.name,
        oid: user.oid,
        preferred_username: user.upn,
        rh: `0.${Buffer.concat([guidBytes(tenant.id), guidBytes(app.clientId), Buffer.alloc(17)]).toString('base64url')}.`,
        sid,
        sub,
        tid: tenant.id,
        uti: randomBytes(16).toString('base64url'),
        ver: '2.0',
      });
    }
    if (clientInfo) reply['client_info'] = Buffer.from(JSON.stringify({ uid: user.oid, utid: tenant.id })).toString('base64url');
    return reply;
  }

  /** Validates a token POST in Entra's order; returns the resource and how the client authenticated. */
  function authorize(seg: string, form: Record<string, string>) {
    if (seg === 'common' || seg === 'organizations') throw new Aadsts(50059);
    const tenant = findTenant(seg);
    if (!tenant) throw new Aadsts(90002, { tenant: seg });
    const grantType = form['grant_type'];
    if (!grantType) throw new Aadsts(900144, { parameter: 'grant_type' });
    if (grantType !== 'client_credentials') throw new Aadsts(70003, { grantType });
    const clientId = form['client_id'];
    if (!clientId) throw new Aadsts(900144, { parameter: 'client_id' });
    const app = opts.apps.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase() && a.tenantId.toLowerCase() === tenant.id.toLowerCase());
    if (!app) throw new Aadsts(700016, { clientId, tenant: directoryName(tenant) });

    const appidacr = clientCredential(app, tenant, form);
    if (!appidacr) throw new Aadsts(7000218);

    const scope = form['scope']?.trim();
    if (!scope) throw new Aadsts(900144, { parameter: 'scope' });
    const scopes = scope.split(/\s+/);
    if (scopes.length > 1) throw new Aadsts(70011, { scope });
    const only = scopes[0] ?? '';
    if (!only.endsWith('/.default')) throw new Aadsts(1002012, { scope: only });
    const resource = only.slice(0, -'/.default'.length).replace(/\/+$/, '');
    const known = resources.get(resource.toLowerCase());
    if (!known) throw new Aadsts(500011, { resource, tenant: tenantName(tenant) });
    return { tenant, app, appidacr, resource, known };
  }

  /** An Entra v1 app-only access token, claims in the order Entra writes them. */
  function issueToken(grant: ReturnType<typeof authorize>): string {
    const { tenant, app, appidacr, resource, known } = grant;
    const now = Math.floor(Date.now() / 1000) + skew;
    const sts = `https://sts.windows.net/${tenant.id}/`;
    const sp = app.servicePrincipalId ?? guidFrom(`service-principal:${app.clientId}`);
    const payload: Record<string, unknown> = {
      aud: resource,
      iss: sts,
      iat: now - BACKDATE_SECONDS,
      nbf: now - BACKDATE_SECONDS,
      exp: now + lifetime,
      aio: randomBytes(48).toString('base64'),
      ...(app.displayName ? { app_displayname: app.displayName } : {}),
      appid: app.clientId,
      appidacr,
      idp: sts,
      oid: sp,
      // Entra's "rh" is an opaque base64url blob over tenant and resource IDs; shape only matters.
      rh: `0.${Buffer.concat([guidBytes(tenant.id), guidBytes(known.appId), Buffer.alloc(17)]).toString('base64url')}.`,
      ...(known.exchange && app.roles?.length ? { roles: [...app.roles] } : {}),
      ...(!known.exchange && app.graphRoles?.length ? { roles: [...app.graphRoles] } : {}),
      sub: sp,
      tid: tenant.id,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
    };
    const { kid, privateKeyPem } = opts.signingKey;
    const token = signJwt({ typ: 'JWT', alg: 'RS256', kid, x5t: kid }, payload, privateKeyPem);
    issuedTokens.push(token);
    return token;
  }

  function tokenReply(seg: string, form: Record<string, string>, correlationId?: string): Reply {
    const headers: Record<string, string> = correlationId ? { 'client-request-id': correlationId } : {};
    switch (fault?.kind) {
      case 'html500':
        return { status: 500, headers: { 'content-type': 'text/html; charset=utf-8' }, body: HTML_500 };
      case 'empty-token':
        return json(200, { token_type: 'Bearer', expires_in: 3599, access_token: '' }, headers);
      case 'aadsts':
        return aadstsReply(base, fault.code, { tenant: seg, clientId: form['client_id'], scope: form['scope'] }, correlationId, fault.retryAfterSeconds);
      case 'raw':
        return { status: fault.status, headers: fault.headers ?? {}, body: fault.body };
    }
    try {
      if (DEVICE_CODE_GRANTS.has(form['grant_type'] ?? '')) return json(200, redeemDeviceCode(seg, form), headers);
      if (form['grant_type'] === 'refresh_token') return json(200, redeemRefreshToken(seg, form), headers);
      if (form['grant_type'] === 'authorization_code') return json(200, redeemAuthorizationCode(seg, form), headers);
      const token = issueToken(authorize(seg, form));
      return json(200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: token }, headers);
    } catch (e) {
      if (e instanceof Aadsts) return aadstsReply(base, e.code, e.ctx, correlationId);
      throw e;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const query = Object.fromEntries(url.searchParams);
    const record: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query, ...(req.headers.host ? { host: req.headers.host } : {}), at: Date.now() };
    requests.push(record);
    const header = req.headers['client-request-id'];
    const correlationId = query['client-request-id'] ?? (typeof header === 'string' ? header : undefined);
    const segs = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const route = segs.slice(1).join('/');
    const seg = segs[0] ?? '';

    if (req.method === 'POST') record.form = Object.fromEntries(new URLSearchParams(await readBody(req)));

    let reply: Reply;
    if (seg === 'v1.0') {
      // Microsoft Graph (reached under its own name with --connect-to): the app registration for --check-app.
      const authorization = req.headers.authorization;
      reply = graphReply({ method: req.method ?? 'GET', path: url.pathname, query, ...(authorization ? { authorization } : {}) }, opts.apps, graphKey);
    } else if (route === 'oauth2/v2.0/devicecode' && record.form) {
      reply = deviceCodeReply(seg, record.form, correlationId);
    } else if (route === 'oauth2/v2.0/token' && record.form) {
      if (fault?.kind === 'hang') return; // the socket stays open until the client gives up or close()
      if (fault?.kind === 'reset') return void req.socket.destroy();
      reply = tokenReply(seg, record.form, correlationId);
    } else if (req.method !== 'GET') {
      reply = json(404, { error: 'not_found' });
    } else if (route === 'oauth2/v2.0/token') {
      reply = aadstsReply(base, 900561, {}, correlationId);
    } else if (route === 'oauth2/v2.0/authorize') {
      reply = authorizeEndpoint(seg, query, correlationId);
    } else if (route === 'v2.0/.well-known/openid-configuration') {
      reply = openIdConfiguration(seg, correlationId);
    } else if (route === 'discovery/instance') {
      reply = instanceDiscovery(query, correlationId);
    } else if (route === 'discovery/v2.0/keys') {
      reply = keys(seg, correlationId);
    } else {
      reply = json(404, { error: 'not_found' });
    }
    res.writeHead(reply.status, reply.headers).end(reply.body);
  }

  const server = https.createServer({ key: opts.tls.keyPem, cert: opts.tls.certPem });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Never print: a refused handshake or a malformed request just closes the socket.
  server.on('clientError', (_err, socket) => socket.destroy());
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"server_error"}');
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  base = `https://localhost:${port}`;

  return {
    url: base,
    port,
    requests,
    issuedTokens,
    setFault(f) {
      fault = f;
    },
    approveDeviceCode(userCode, user) {
      const rec = findUserCode(userCode);
      const oid = user.oid ?? guidFrom(`user:${user.upn.toLowerCase()}`);
      rec.user = { upn: user.upn, oid, name: user.name ?? user.upn.split('@')[0] ?? user.upn };
      rec.state = 'approved';
    },
    setInteractiveUser(user) {
      interactiveUser = user && { upn: user.upn, oid: user.oid ?? guidFrom(`user:${user.upn.toLowerCase()}`), name: user.name ?? user.upn.split('@')[0] ?? user.upn };
    },
    issuedAuthorizationCodes,
    declineDeviceCode(userCode) {
      findUserCode(userCode).state = 'declined';
    },
    expireDeviceCode(userCode) {
      findUserCode(userCode).expiresAt = 0;
    },
    issuedRefreshTokens,
    revokeRefreshTokens() {
      for (const rec of refreshTokens.values()) rec.revoked = true;
    },
    deviceCodes() {
      return deviceCodeList.map((r) => ({ userCode: r.userCode, state: deviceCodeState(r) }));
    },
    close() {
      // server.close() alone waits for keep-alive and hung connections; end them first.
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

const MAX_BODY = 1 << 20;
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
