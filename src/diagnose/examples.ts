// A typical piece of evidence for every rule, so `imap-oauth explain` can show what a rule says
// without a run. Values are placeholders a reader recognises; the tests check that each example
// really makes its rule fire.
import type { ProbeEvidence, StageName } from '../imap/types.js';
import type { TokenClaims } from '../token/claims.js';
import type { TokenError, TokenReport } from '../token/types.js';
import type { DiagnosisContext, Rule } from './types.js';
import { MAIL_EXAMPLES } from './examples-mail.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const MAILBOX = '<mailbox>';
const GOOD_CLAIMS: TokenClaims = { aud: 'https://outlook.office365.com', roles: ['IMAP.AccessAsApp'], exp: NOW_S + 3600, nbf: NOW_S - 300 };

function context(token: TokenReport, probe?: { stage: StageName; evidence: Partial<ProbeEvidence> }): DiagnosisContext {
  return {
    user: MAILBOX,
    host: 'outlook.office365.com',
    scope: 'https://outlook.office365.com/.default',
    credential: 'client-secret',
    token,
    now: NOW,
    probe: probe && {
      user: MAILBOX, host: 'outlook.office365.com', port: 993, ok: false, failedStage: probe.stage, stages: [], transcript: [],
      evidence: { authenticated: false, ...probe.evidence },
    },
  };
}

const goodToken = (claims: Partial<TokenClaims> = {}): TokenReport => ({ source: 'client-secret', ok: true, claims: { ...GOOD_CLAIMS, ...claims }, ms: 0, requests: 1 });
const badToken = (error: Omit<TokenError, 'message'> & { message?: string }): TokenReport => ({ source: 'client-secret', ok: false, error: { message: 'see the description', ...error }, ms: 0, requests: 1 });
const opaqueToken: TokenReport = { source: 'access-token-file', ok: true, ms: 0, requests: 0 };
const imap = (stage: StageName, evidence: Partial<ProbeEvidence>, claims: Partial<TokenClaims> = {}) => context(goodToken(claims), { stage, evidence });

const EXAMPLES: Record<string, () => DiagnosisContext> = {
  ...MAIL_EXAMPLES, // POP3 and SMTP AUTH
  'aadsts-other': () => context(badToken({ kind: 'server', aadsts: 90033, description: "AADSTS90033: The Microsoft Online Directory Service (MSODS) isn't available." })),
  'token-timeout': () => context(badToken({ kind: 'timeout', message: 'POST login.microsoftonline.com: timed out after 15 s' })),
  'token-network': () => context(badToken({ kind: 'network', message: 'POST login.microsoftonline.com: socket hang up' })),
  'token-empty': () => context(badToken({ kind: 'empty-token', message: 'the token endpoint answered without an access token' })),
  'token-server-misbehaved': () => context(badToken({ kind: 'misbehaved', message: 'POST login.microsoftonline.com: the reply is larger than 1 MiB: the token endpoint misbehaved, reading stopped' })),
  'token-client-error': () => context(badToken({ kind: 'client', message: 'the request could not be made' })),
  'token-wrong-audience': () => context(goodToken({ aud: 'https://graph.microsoft.com', roles: [] })),
  'token-delegated': () => context(goodToken({ scp: 'IMAP.AccessAsUser.All', roles: undefined })),
  'token-missing-imap-role': () => context(goodToken({ roles: [] })),
  'token-missing-imap-scope': () => ({ ...context(goodToken({ aud: 'https://outlook.office.com', scp: 'User.Read', roles: undefined })), credential: 'device-code' }),
  'token-tenant-mismatch': () => ({ ...context(goodToken({ tid: '00000000-0000-0000-0000-00000000000b' })), tenant: '00000000-0000-0000-0000-00000000000a' }),
  'token-client-mismatch': () => ({ ...context(goodToken({ appid: '00000000-0000-0000-0000-00000000000b' })), clientId: '00000000-0000-0000-0000-00000000000a' }),
  'token-expired': () => context(goodToken({ exp: NOW_S - 600 })),
  'token-not-yet-valid': () => context(goodToken({ nbf: NOW_S + 3600 })),
  'refresh-token-inactive': () => ({ ...context({ ...goodToken(), source: 'refresh-token', signIn: { foundIssuedAt: new Date(NOW.getTime() - 70 * 86_400_000).toISOString(), refreshTokenIssuedAt: NOW.toISOString(), renewed: true } }), credential: 'refresh-token' }),
  'credential-certificate-expiring': () => ({ ...context(goodToken()), credential: 'certificate', credentialNotAfter: new Date(NOW.getTime() + 12 * 86_400_000), warnDays: 30 }),
  'imap-server-misbehaved': () => imap('authenticate', { protocolViolation: { kind: 'literal-too-large', detail: 'a literal announced larger than 65536 bytes; the session was ended' } }),
  'imap-timeout': () => imap('connect', { timedOut: 'connect' }),
  'imap-not-imap': () => imap('connect', { notImap: { firstLine: 'HTTP/1.1 400 Bad Request' } }),
  'imap-dns': () => imap('connect', { errorCode: 'ENOTFOUND' }),
  'imap-refused': () => imap('connect', { errorCode: 'ECONNREFUSED' }),
  'proxy-unreachable': () => context(badToken({ kind: 'network', message: 'POST login.microsoftonline.com:443: proxy http://proxy.contoso.com:3128 (HTTPS_PROXY): cannot be reached (ECONNREFUSED)', proxy: { proxy: 'http://proxy.contoso.com:3128', origin: 'HTTPS_PROXY', kind: 'unreachable', target: 'login.microsoftonline.com:443', message: 'proxy http://proxy.contoso.com:3128 (HTTPS_PROXY): cannot be reached (ECONNREFUSED)' } })),
  'proxy-auth-required': () => imap('connect', { errorCode: 'EPROXY', proxy: { proxy: 'http://proxy.contoso.com:3128', origin: 'ALL_PROXY', kind: 'auth-required', status: 407, target: 'outlook.office365.com:993', message: 'proxy http://proxy.contoso.com:3128 (ALL_PROXY): needs authentication (HTTP 407)' } }),
  'proxy-refused': () => imap('connect', { errorCode: 'EPROXY', proxy: { proxy: 'http://proxy.contoso.com:3128', origin: '--proxy', kind: 'refused', status: 403, target: 'outlook.office365.com:993', message: 'proxy http://proxy.contoso.com:3128 (--proxy): refused CONNECT outlook.office365.com:993 (HTTP 403 Forbidden)' } }),
  'imap-tls-untrusted': () => imap('connect', { errorCode: 'SELF_SIGNED_CERT_IN_CHAIN', tlsFailure: { code: 'SELF_SIGNED_CERT_IN_CHAIN' } }),
  'imap-bye': () => imap('mailbox', { authenticated: true, bye: 'Connection is closed. 13' }),
  'imap-connection-lost': () => imap('authenticate', { errorCode: 'ECONNRESET', errorMessage: 'socket hang up', connectionLost: true }),
  'imap-no-mechanism': () => imap('capability', { errorCode: 'NO_MECHANISM', capabilities: ['IMAP4rev1', 'AUTH=PLAIN'] }),
  'imap-authenticate-bad': () => imap('authenticate', { serverStatus: 'BAD', serverResponse: 'Command Error. 10' }),
  'imap-sasl-error-challenge': () => imap('authenticate', { serverStatus: 'NO', serverResponse: 'AUTHENTICATE failed.', saslChallenge: { status: '401', schemes: 'bearer', scope: 'https://outlook.office365.com/.default' } }),
  'imap-auth-rejected-service-principal': () => imap('authenticate', { serverStatus: 'NO', serverResponse: 'AUTHENTICATE failed.' }),
  'imap-auth-rejected': () => imap('authenticate', { serverStatus: 'NO', serverResponse: 'AUTHENTICATE failed.' }, { roles: [] }),
  'imap-token-rejected': () => ({
    ...context({ source: 'access-token-file', ok: true, ms: 0, requests: 0 }, { stage: 'authenticate', evidence: { serverStatus: 'NO', serverResponse: '[AUTHENTICATIONFAILED] Invalid credentials (Failure)' } }),
    authMode: 'generic',
    host: 'imap.gmail.com',
    credential: 'access-token-file',
  }),
  'imap-authenticated-not-connected': () => imap('mailbox', { authenticated: true, serverStatus: 'BAD', serverResponse: 'User is authenticated but not connected.' }),
  'imap-folder-failed': () => imap('mailbox', { authenticated: true, serverStatus: 'NO', serverResponse: "Mailbox doesn't exist." }),
  'aadsts-location-blocked': () => context(badToken({ kind: 'server', description: 'Access has been blocked because the sign-in comes from a location that is not allowed.' })),
  'token-opaque': () => context(opaqueToken),
  'delegated-other-mailbox': () => ({
    ...imap('mailbox', { authenticated: true, serverStatus: 'BAD', serverResponse: 'User is authenticated but not connected.' }, { scp: 'IMAP.AccessAsUser.All', roles: undefined, upn: '<signed-in-user>' }),
    credential: 'access-token-file',
  }),
  'delegated-own-mailbox-refused': () => ({
    ...imap('authenticate', { serverStatus: 'NO', serverResponse: 'AUTHENTICATE failed.' }, { aud: 'https://outlook.office.com', scp: 'IMAP.AccessAsUser.All', roles: undefined, upn: MAILBOX }),
    credential: 'device-code',
  }),
  'imap-auth-rejected-opaque': () => ({ ...context(opaqueToken, { stage: 'authenticate', evidence: { serverStatus: 'NO', serverResponse: 'AUTHENTICATE failed.' } }), credential: 'access-token-file' }),
};

/** The example for a rule; AADSTS rules get a token error with their first code. */
export function exampleContext(rule: Rule): DiagnosisContext | undefined {
  const make = EXAMPLES[rule.id];
  if (make) return make();
  const code = rule.keys.map((k) => /^(?:AADSTS|HTTP )(\d+)$/.exec(k)?.[1]).find(Boolean);
  if (rule.stage === 'token' && code) {
    const n = Number(code);
    return context(badToken(n < 1000 ? { kind: 'server', httpStatus: n } : { kind: 'server', aadsts: n }));
  }
  return undefined;
}
