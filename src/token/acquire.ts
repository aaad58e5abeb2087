// App-only token with MSAL's client-credentials flow, bounded in time and in requests.
import { isUserSignIn, type Config } from '../config/types.js';
import { decodeJwtPayload, expiresAt, summariseClaims, type TokenClaims } from './claims.js';
import { ConfigError } from '../errors.js';
import { credentialFingerprint, fileCachePlugin, type SignInTimes } from './cache.js';
import { toTokenError } from './msal-errors.js';
import type { EarlyConnection } from '../net/early-connect.js';
import type { ProxyFailure } from '../net/proxy.js';
import { createNetworkClient } from './network-client.js';
import type { SignInRecord, TokenError, TokenResult } from './types.js';

/**
 * For any authority host MSAL would otherwise ask the real Microsoft host for instance discovery
 * and GET the OpenID configuration first: naming the host (with its port) as known and giving the
 * metadata makes a token cost exactly one POST.
 */
export function authorityOptions(authorityHost: string, tenant: string) {
  const url = new URL(authorityHost);
  const base = `${url.origin}/{tenant}`;
  return {
    authority: `${url.origin}/${tenant}`,
    knownAuthorities: [url.host],
    authorityMetadata: JSON.stringify({
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      issuer: `${base}/v2.0`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
    }),
  };
}

function claimsOf(token: string): TokenClaims | undefined {
  try {
    return summariseClaims(decodeJwtPayload(token));
  } catch {
    return undefined;
  }
}

/** How long the signed-in user gets to enter a device code (Entra's codes live 15 minutes). */
const DEVICE_CODE_WAIT_SECONDS = 900;

export interface AcquireHooks {
  /** Device code flow: the text telling the user where to sign in and which code to enter. */
  onDeviceCode?(message: string): void;
  /** Interactive flow: the sign-in URL (the browser's redirect comes back to MSAL's loopback port). */
  onSignInUrl?(url: string): Promise<void> | void;
  /**
   * Interactive flow: the browser has not come back for a while. An error page (wrong tenant or
   * app, a missing redirect URI) never redirects, so without a word the run would just wait.
   */
  onSignInWaiting?(): void;
  /** Every secret the token exchange sends or receives (see NetworkClientOptions.onSecret). */
  onSecret?(value: string): void;
  /** When onSignInWaiting is called; default 60 s. */
  signInReminderMs?: number;
}

const SIGN_IN_REMINDER_MS = 60_000;

/** `early`: a connection to the token endpoint already under way (net/early-connect.ts); the first request takes it. */
export async function acquireToken(config: Config, hooks: AcquireHooks = {}, early?: EarlyConnection): Promise<TokenResult> {
  const started = performance.now();
  const cred = config.credential;
  const source = cred.kind;
  const elapsed = () => Math.round(performance.now() - started);

  if (cred.kind === 'access-token-file') {
    const claims = claimsOf(cred.token);
    return { token: cred.token, report: { source, ok: true, claims, expiresAt: claims && expiresAt(claims), ms: elapsed(), requests: 0 } };
  }

  let requests = 0;
  let lastStatus: number | undefined;
  let retryAfter: number | undefined;
  let networkError: string | undefined;
  let proxyFailure: ProxyFailure | undefined;
  let errorBody: Record<string, unknown> | undefined;
  const fail = (error: TokenError): TokenResult => ({ report: { source, ok: false, error, ms: elapsed(), requests } });

  // Loaded here, not at start-up: --help and config errors never pay for MSAL.
  const { AuthError, ConfidentialClientApplication, LogLevel, PublicClientApplication } = await import('@azure/msal-node');
  const networkClient = createNetworkClient({
    early,
    timeoutMs: config.timeoutMs,
    caPem: config.caPem,
    connectTo: config.connectTo,
    onRequest: () => requests++,
    onSecret: hooks.onSecret,
    onNetworkError: (m) => (networkError = m),
    proxy: config.proxy,
    onProxyFailure: (f) => (proxyFailure = f),
    networkError: (m) => new AuthError('network_error', m, m),
    onResponse: (method, res) => {
      if (method !== 'POST') return;
      lastStatus = res.status;
      // MSAL keeps only the OAuth error word of a failed device-code poll; the body has the rest.
      errorBody = res.status >= 400 && res.body && typeof res.body === 'object' ? (res.body as Record<string, unknown>) : undefined;
      const ra = Number(res.headers['retry-after']);
      retryAfter = Number.isFinite(ra) && ra >= 0 ? ra : undefined;
    },
  });
  const system = {
    networkClient,
    // MSAL's logger must never print: errors are reported by us, redacted.
    loggerOptions: { loggerCallback: () => undefined, piiLoggingEnabled: false, logLevel: LogLevel.Error },
  };
  const auth = { clientId: config.clientId!, ...authorityOptions(config.authorityHost, config.tenant!) };
  // A user's sign-in: the cache file also records when it happened and when its refresh token last rolled.
  let signIn: SignInRecord | undefined;
  const track = isUserSignIn(cred.kind)
    ? { signIn: cred.kind !== 'refresh-token', onTimes: (found: SignInTimes, now: SignInTimes) => void (signIn = { ...(now.signedInAt ? { signedInAt: now.signedInAt } : {}), ...(now.refreshedAt ? { refreshTokenIssuedAt: now.refreshedAt } : {}), ...(found.refreshedAt ? { foundIssuedAt: found.refreshedAt } : {}), renewed: now.refreshedAt !== found.refreshedAt }) }
    : undefined;
  const cache = config.tokenCachePath ? { cachePlugin: fileCachePlugin(config.tokenCachePath, credentialFingerprint(config), hooks.onSecret, track) } : undefined;
  let acquire: () => Promise<import('@azure/msal-node').AuthenticationResult | null>;
  let deadlineMs = config.timeoutMs + 1000;
  let timer: NodeJS.Timeout | undefined;
  let reminder: NodeJS.Timeout | undefined;
  if (cred.kind === 'refresh-token') {
    // Delegated, no user at the keyboard: the account a device-code sign-in left in the cache.
    const app = new PublicClientApplication({ auth, system, ...(cache ? { cache } : {}) });
    acquire = async () => {
      const accounts = await app.getTokenCache().getAllAccounts();
      const wanted = config.users[0]?.toLowerCase();
      const account = accounts.find((a) => a.username.toLowerCase() === wanted) ?? (accounts.length === 1 ? accounts[0] : undefined);
      if (!account) {
        const which = accounts.length ? `none of ${accounts.map((a) => a.username).join(', ')} is ${config.users[0]}` : 'it holds no signed-in account';
        throw Object.assign(new Error(`no refresh token to use in ${config.tokenCachePath}: ${which}; sign in first with --flow device-code --token-cache ${config.tokenCachePath}`), { errorCode: 'no_account_in_cache' });
      }
      // A valid cached access token is used as is; --fresh-token redeems the refresh token.
      return app.acquireTokenSilent({ account, scopes: config.scope.split(' '), forceRefresh: config.freshToken });
    };
  } else if (cred.kind === 'interactive') {
    // Authorization code with PKCE; MSAL listens on a loopback port for the browser's redirect.
    const app = new PublicClientApplication({ auth, system, ...(cache ? { cache } : {}) });
    acquire = () => app.acquireTokenInteractive({
      scopes: config.scope.split(' '),
      openBrowser: async (url) => {
        await hooks.onSignInUrl?.(url);
        reminder = setTimeout(() => hooks.onSignInWaiting?.(), hooks.signInReminderMs ?? SIGN_IN_REMINDER_MS);
      },
      successTemplate: 'Signed in. You can close this window and return to imap-oauth.',
      errorTemplate: 'The sign-in failed: {{error}}. Return to imap-oauth for details.',
    });
    deadlineMs = DEVICE_CODE_WAIT_SECONDS * 1000 + config.timeoutMs;
  } else if (cred.kind === 'device-code') {
    // Delegated: a public client, the user signs in elsewhere. With --token-cache the refresh
    // token is kept (mode 0600) for later --flow refresh-token runs.
    const app = new PublicClientApplication({ auth, system, ...(cache ? { cache } : {}) });
    acquire = () => app.acquireTokenByDeviceCode({
      scopes: config.scope.split(' '), // MSAL adds openid, profile and offline_access itself
      deviceCodeCallback: (response) => hooks.onDeviceCode?.(response.message),
      timeout: DEVICE_CODE_WAIT_SECONDS,
    });
    deadlineMs = DEVICE_CODE_WAIT_SECONDS * 1000 + config.timeoutMs;
  } else {
    const app = new ConfidentialClientApplication({
    auth: {
      ...auth,
      ...(cred.kind === 'client-secret'
        ? { clientSecret: cred.secret }
        : {
            clientCertificate: {
              thumbprintSha256: cred.certificate.thumbprintSha256,
              privateKey: cred.certificate.privateKeyPem,
              // Subject name / issuer authentication wants the certificate in the assertion (x5c).
              ...(config.sendX5c ? { x5c: cred.certificate.certPem } : {}),
            },
          }),
    },
    ...(cache ? { cache } : {}),
    system,
    });
    acquire = () => app.acquireTokenByClientCredential({ scopes: config.scope.split(' '), skipCache: !config.tokenCachePath || config.freshToken });
  }

  // Belt and braces: each request has its own deadline, the whole call has one more.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`timed out after ${Math.round(deadlineMs / 1000)} s`), { errorCode: 'network_error' })), deadlineMs);
  });
  try {
    const result = await Promise.race([acquire(), deadline]);
    const raw: unknown = result?.accessToken;
    // MSAL passes the reply's access_token through as it came: a number or an object is no token.
    if (raw !== undefined && raw !== null && typeof raw !== 'string') {
      return fail({
        kind: 'misbehaved',
        message: `the token endpoint answered${lastStatus ? ` HTTP ${lastStatus}` : ''} with an access_token that is ${Array.isArray(raw) ? 'an array' : typeof raw === 'object' ? 'an object' : `a ${typeof raw}`}, not a string`,
        httpStatus: lastStatus,
      });
    }
    const token = raw ?? '';
    if (!token) {
      return fail({
        kind: 'empty-token',
        message: `the token endpoint answered${lastStatus ? ` HTTP ${lastStatus}` : ''} without an access token`,
        httpStatus: lastStatus,
      });
    }
    const claims = claimsOf(token);
    const exp = claims ? expiresAt(claims) : result?.expiresOn?.toISOString();
    const account = result?.account?.username || undefined;
    return { token, report: { source, ok: true, claims, expiresAt: exp, ms: elapsed(), requests, fromCache: result?.fromCache === true, ...(account ? { account } : {}), ...(signIn ? { signIn } : {}) } };
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const error = toTokenError(err, { httpStatus: lastStatus, retryAfterSeconds: retryAfter, networkError, errorBody });
    return fail(proxyFailure && (error.kind === 'network' || error.kind === 'timeout') ? { ...error, proxy: proxyFailure } : error);
  } finally {
    clearTimeout(timer);
    clearTimeout(reminder);
  }
}
