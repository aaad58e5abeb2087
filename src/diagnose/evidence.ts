// What a pasted log shows: Entra errors (AADSTS codes with their text and IDs), the IMAP server's
// answers (MailKit, JavaMail, imapsync, curl, Python imaplib, Node), SASL strings decoded (user and
// token claims), connection errors, and hints at the flow the app used. Pure: text in, data out;
// every secret found is listed in `secrets` so the caller can register it before printing.
import { decodeJwtPayload, summariseClaims, type TokenClaims } from '../token/claims.js';

export interface AadstsEvidence {
  code: number;
  /** Entra's text after "AADSTS<code>: ", without the trace trailer. */
  description: string;
  oauthError?: string;
}

export interface ServerAnswer {
  status: 'NO' | 'BAD' | 'BYE';
  text: string;
  /** The command it answers, when the log shows it (by tag). */
  command?: string;
}

export interface SaslEvidence {
  mechanism: 'XOAUTH2' | 'OAUTHBEARER';
  user: string;
  /** Decoded claims when the token is a JWT; undefined for an opaque token. */
  claims?: TokenClaims;
  opaque: boolean;
}

export type FlowHint = 'device-code' | 'interactive' | 'refresh-token' | 'client-secret' | 'certificate';

export interface Evidence {
  aadsts: AadstsEvidence[];
  correlationId?: string;
  traceId?: string;
  tenant?: string;
  clientId?: string;
  answers: ServerAnswer[];
  /** AUTHENTICATE was answered OK (so a later refusal is about the mailbox). */
  authenticated: boolean;
  capabilities?: string[];
  sasl: SaslEvidence[];
  /** Claims of a bare JWT in the text (an "Authorization: Bearer" header, a token response). */
  jwtClaims?: TokenClaims;
  /** A connection failure, as Node names it (ENOTFOUND, ECONNREFUSED, CERT_HAS_EXPIRED, …). */
  errorCode?: string;
  timedOut?: boolean;
  flow?: FlowHint;
  /** A mailbox named in the log (imapsync's "user [x]", a login line) when no SASL string names one. */
  user?: string;
  /** The latest time written in the log (ISO), when it has one: a pasted token's expiry is judged then. */
  loggedAt?: string;
  /** Every token, SASL string and decoded SASL text found: register them before printing anything. */
  secrets: string[];
}

const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const EMAIL = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;

/** Flow hints, most specific first: SDK and grant names that say how the token was asked for. */
const FLOWS: [RegExp, FlowHint][] = [
  [/device[_ ]?code|devicelogin|DeviceCodeCredential|initiate_device_flow|acquire_token_by_device_flow|AcquireTokenWithDeviceCode|acquireTokenByDeviceCode/i, 'device-code'],
  [/grant_type=refresh_token|acquire_token_by_refresh_token|AcquireTokenByRefreshToken|AcquireTokenSilent|acquireTokenSilent/i, 'refresh-token'],
  [/AcquireTokenInteractive|acquireTokenInteractive|InteractiveBrowserCredential|acquire_token_interactive|authorization_code|PublicClientApplication/i, 'interactive'],
  [/client_assertion|CertificateCredential|WithCertificate|ClientCertificateCredential/i, 'certificate'],
  [/client_credentials|ConfidentialClientApplication|AcquireTokenForClient|acquire_token_for_client|ClientSecretCredential|acquireTokenByClientCredential/i, 'client-secret'],
];

/** Connection failures in each client's words → Node's code. */
const CONNECTION: [RegExp, string][] = [
  [/\bENOTFOUND\b|EAI_AGAIN|Name or service not known|nodename nor servname|UnknownHostException|No such host is known|getaddrinfo failed/i, 'ENOTFOUND'],
  [/\bECONNREFUSED\b|Connection refused|actively refused/i, 'ECONNREFUSED'],
  [/\bCERT_HAS_EXPIRED\b|certificate has expired/i, 'CERT_HAS_EXPIRED'],
  [/ERR_TLS_CERT_ALTNAME_INVALID|Hostname\/IP does not match|hostname mismatch|doesn't match/i, 'ERR_TLS_CERT_ALTNAME_INVALID'],
  [/SELF_SIGNED_CERT_IN_CHAIN|self[- ]signed certificate|certificate verify failed|unable to get local issuer|PKIX path building failed|RemoteCertificateNameMismatch|remote certificate is invalid/i, 'SELF_SIGNED_CERT_IN_CHAIN'],
  [/\bECONNRESET\b|Connection reset|forcibly closed/i, 'ECONNRESET'],
];

/** Entra's text after the code, up to the trace trailer or the end of the quoted string or line. */
function descriptionAt(text: string, index: number): string {
  const rest = text.slice(index);
  const end = rest.search(/\\r\\n|\r?\n|\s+Trace ID:|\s+-\s+(Correlation|Trace) ID:|\\?"|\s+Timestamp:/);
  return (end < 0 ? rest : rest.slice(0, end)).trim();
}

function aadstsIn(text: string): AadstsEvidence[] {
  const out = new Map<number, AadstsEvidence>();
  for (const m of text.matchAll(/AADSTS(\d{4,8})\b:?\s*/g)) {
    const code = Number(m[1]);
    const description = `AADSTS${code}: ${descriptionAt(text, m.index! + m[0].length)}`.replace(/:\s*$/, '');
    const prior = out.get(code);
    // Keep the fullest description seen for the code (a log often repeats it, shortened).
    if (!prior || prior.description.length < description.length) out.set(code, { code, description });
  }
  // Entra's `error` (the OAuth error), from a JSON body or MSAL's "invalid_client:" prefix.
  const oauthError = /"error"\s*:\s*"([a-z_]+)"/.exec(text)?.[1] ?? /\b(invalid_client|invalid_grant|invalid_scope|invalid_request|unauthorized_client|access_denied|interaction_required|temporarily_unavailable|authorization_declined|expired_token)\b/.exec(text)?.[1];
  return [...out.values()].map((e) => ({ ...e, ...(oauthError ? { oauthError } : {}) }));
}

/** user and bearer token of a decoded XOAUTH2 or OAUTHBEARER payload. */
function parseSasl(decoded: string): { mechanism: SaslEvidence['mechanism']; user: string; token: string } | null {
  const x = /^user=([^\x01]*)\x01auth=Bearer ([^\x01\s]+)\x01\x01$/i.exec(decoded);
  if (x) return { mechanism: 'XOAUTH2', user: x[1]!, token: x[2]! };
  const o = /^n,(?:a=([^,]*))?,\x01(?:[^\x01]*\x01)*?auth=Bearer ([^\x01\s]+)\x01/i.exec(decoded);
  if (o) return { mechanism: 'OAUTHBEARER', user: (o[1] ?? '').replace(/=2C/g, ',').replace(/=3D/g, '='), token: o[2]! };
  return null;
}

function claimsOf(token: string): TokenClaims | undefined {
  try {
    return summariseClaims(decodeJwtPayload(token));
  } catch {
    return undefined;
  }
}

function saslIn(text: string, secrets: string[]): SaslEvidence[] {
  const out: SaslEvidence[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9+/]{24,}={0,2}/g)) {
    const b64 = m[0];
    if (b64.length % 4 !== 0) continue;
    const decoded = Buffer.from(b64, 'base64').toString('utf8');
    const sasl = parseSasl(decoded);
    if (!sasl) continue;
    // The string and the token; not the decoded text as a whole, whose user= is no secret.
    secrets.push(b64, sasl.token);
    const claims = claimsOf(sasl.token);
    out.push({ mechanism: sasl.mechanism, user: sasl.user, claims, opaque: !claims });
  }
  return out;
}

function jwtIn(text: string, secrets: string[]): TokenClaims | undefined {
  let found: TokenClaims | undefined;
  for (const m of text.matchAll(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g)) {
    secrets.push(m[0]);
    found ??= claimsOf(m[0]);
  }
  return found;
}

/** The log's text of a line, without the prefixes clients put before the protocol (S:, <<, timestamps). */
const protocolText = (line: string) => line.replace(/^.*?(?:\b[SC]:|<<|>>|<|>|\bRead:|\bSent:|\bReceived:|DEBUG IMAPS?:)\s*/, '');

function answersIn(lines: string[]): { answers: ServerAnswer[]; authenticated: boolean; capabilities?: string[] } {
  const commands = new Map<string, string>();
  const answers: ServerAnswer[] = [];
  let authenticated = false;
  let capabilities: string[] | undefined;
  for (const raw of lines) {
    const line = protocolText(raw);
    const command = /^([A-Za-z0-9.]{1,20}) (AUTHENTICATE|LOGIN|SELECT|EXAMINE|LIST|LSUB|NAMESPACE|CAPABILITY|ID|ENABLE|STATUS|NOOP|LOGOUT)\b/i.exec(line);
    if (command) commands.set(command[1]!, command[2]!.toUpperCase());
    const caps = /^\* CAPABILITY (.*)$/i.exec(line);
    if (caps && !authenticated) capabilities = caps[1]!.trim().split(/\s+/);
    if (/\bOK\b.*AUTHENTICATE completed|^\S+ OK (\[[^\]]*\] )?(AUTHENTICATE|LOGIN)\b/i.test(line)) authenticated = true;
    const bye = /^\* BYE (.*)$/.exec(line);
    if (bye && !/signing off|LOGOUT/i.test(bye[1]!)) answers.push({ status: 'BYE', text: bye[1]!.trim() });
    // A tagged NO or BAD, anywhere in the line (imapsync: "…: 2 NO AUTHENTICATE failed."). Case matters: "bad password" is no BAD.
    const tagged = /(?:^|[\s:[\]'"])([A-Za-z0-9.]{1,20}) (NO|BAD) (.+?)\s*$/.exec(line);
    if (tagged && !/^\* CAPABILITY/i.test(line)) {
      answers.push({ status: tagged[2] as 'NO' | 'BAD', text: tagged[3]!.replace(/['"]+$/, ''), command: commands.get(tagged[1]!) });
      continue;
    }
    // Exceptions that carry the server's text: JavaMail, MailKit, Python imaplib.
    const thrown = /(?:AuthenticationFailedException|AuthenticationException|IMAP4\.error|imaplib\.error):\s*(?:b?['"])?(.+?)(?:['"])?\s*$/.exec(raw);
    if (thrown) answers.push({ status: /not connected/i.test(thrown[1]!) ? 'BAD' : 'NO', text: thrown[1]!, command: 'AUTHENTICATE' });
  }
  return { answers, authenticated, ...(capabilities ? { capabilities } : {}) };
}

/** The latest date and time the text shows ("2026-11-30 09:12:44Z", ISO 8601); times without a zone are read as UTC. */
function latestTime(text: string): string | undefined {
  let latest: number | undefined;
  for (const m of text.matchAll(/\b(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:[.,]\d+)?(Z|[+-]\d\d:?\d\d)?\b/g)) {
    const t = Date.parse(`${m[1]}T${m[2]}${m[3] && m[3] !== 'Z' ? m[3] : 'Z'}`);
    if (Number.isFinite(t) && (latest === undefined || t > latest)) latest = t;
  }
  return latest === undefined ? undefined : new Date(latest).toISOString();
}

export function extractEvidence(text: string): Evidence {
  const secrets: string[] = [];
  const lines = text.split(/\r?\n/);
  const sasl = saslIn(text, secrets);
  const jwtClaims = jwtIn(text, secrets);
  const { answers, authenticated, capabilities } = answersIn(lines);
  const errorCode = CONNECTION.find(([re]) => re.test(text))?.[1];
  const flow = FLOWS.find(([re]) => re.test(text))?.[1];
  const correlationId = new RegExp(`(?:Correlation ID|correlation_id|CorrelationId)"?\\s*[:=]\\s*"?(${GUID})`, 'i').exec(text)?.[1];
  const traceId = new RegExp(`(?:Trace ID|trace_id)"?\\s*[:=]\\s*"?(${GUID})`, 'i').exec(text)?.[1];
  const tenant = new RegExp(`login\\.(?:microsoftonline\\.(?:com|us)|partner\\.microsoftonline\\.cn)/(${GUID}|[a-z0-9.-]+\\.[a-z]{2,}|common|organizations|consumers)/`, 'i').exec(text)?.[1];
  const clientId = new RegExp(`(?:client_id=|Application with identifier '|app '|appid"?\\s*[:=]\\s*"?|ClientId"?\\s*[:=]\\s*"?)(${GUID})`, 'i').exec(text)?.[1];
  const user = /(?:with user \[|user=|Login as |LOGIN |username[=:] ?)([^\]\s'",]+@[^\]\s'",]+)/i.exec(text)?.[1] ?? undefined;
  return {
    aadsts: aadstsIn(text),
    ...(correlationId ? { correlationId } : {}),
    ...(traceId ? { traceId } : {}),
    ...(tenant ? { tenant } : {}),
    ...(clientId ? { clientId } : {}),
    answers,
    authenticated,
    ...(capabilities ? { capabilities } : {}),
    sasl,
    ...(jwtClaims ? { jwtClaims } : {}),
    ...(errorCode ? { errorCode } : {}),
    ...(/\b(timed out|ETIMEDOUT|SocketTimeoutException|TimeoutException|Operation timed out)\b/i.test(text) ? { timedOut: true } : {}),
    ...(flow ? { flow } : {}),
    ...(user && EMAIL.test(user) ? { user } : {}),
    ...(latestTime(text) ? { loggedAt: latestTime(text) } : {}),
    secrets: [...new Set(secrets)],
  };
}
