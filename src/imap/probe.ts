// One mailbox, stage by stage: connect → capability → authenticate → mailbox → logout. Every stage
// has its own deadline; the result is an ordered list of stages, a redacted transcript and the
// evidence the diagnosis rules read.
import type { TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { routeFor, type ConnectTo } from '../config/connect-to.js';
import type { Config } from '../config/types.js';
import type { Redactor } from '../redact.js';
import type { EarlyConnection } from '../net/early-connect.js';
import { proxyFailureOf, type ProxyEndpoint } from '../net/proxy.js';
import { trustContext } from '../tls-trust.js';
import { decodeExchangeBackend } from './greeting.js';
import { fetchPeerCertificate, recordingIdentityCheck } from './peer-certificate.js';
import { NoMechanismError, ProbeClient, ProtocolViolationError } from './probe-client.js';
import { createTranscriptLogger } from './transcript.js';
import type { ProbeEvidence, ProbeResult, ProtocolViolationKind, StageName, StageResult } from './types.js';

/** One mailbox on one server, with the run's connection settings. */
export type ProbeTarget = { user: string } & Pick<Config, 'host' | 'port' | 'folder' | 'timeoutMs' | 'caPem' | 'insecure'> & {
  /** --connect-to rules: where to connect for host:port (TLS still verifies `host`). */
  connectTo?: readonly ConnectTo[];
  mech?: Config['mech'];
  starttls?: boolean;
  /** --verbose: wait for the LOGOUT reply so the transcript shows the whole exchange. */
  waitForLogout?: boolean;
  /** Tunnel through this proxy (imapflow's `proxy` option: HTTP CONNECT or SOCKS). */
  proxy?: ProxyEndpoint;
  /** Called as each stage ends, passed or failed (live progress on a terminal). */
  onStage?: (stage: StageResult) => void;
  /** A TCP connection to the address already under way (one check: see net/early-connect.ts). */
  early?: EarlyConnection;
};

const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED',
  'CERT_REVOKED', 'CERT_SIGNATURE_FAILURE', 'INVALID_CA',
]);

/**
 * What a hostile server may make this process hold for one connection. The check reads a greeting,
 * a capability list, one SASL reply and an EXAMINE answer: a few kilobytes. imapflow's defaults
 * (1 GiB lines and literals, 2 GiB responses) let one `{900000000}` literal take gigabytes.
 */
export const IMAP_LIMITS = {
  /** One line without its literals. */
  maxLineLength: 64 * 1024,
  /** One literal; refused when announced, before any of it is read. */
  maxLiteralSize: 64 * 1024,
  /** One response: all its lines and literals. */
  maxResponseSize: 128 * 1024,
  /** Parse-tree nodes in one response (each costs ~100 bytes of heap). */
  maxResponseTokens: 20_000,
} as const;

/** imapflow's codes for the limits above. */
const LIMIT_CODES: Record<string, ProtocolViolationKind> = {
  LineTooLarge: 'line-too-long',
  LiteralTooLarge: 'literal-too-large',
  ResponseTooLarge: 'response-too-large',
  TooManyTokens: 'too-many-tokens',
};

const LIMIT_TEXT: Record<ProtocolViolationKind, string> = {
  'line-too-long': `a line longer than ${IMAP_LIMITS.maxLineLength} bytes`,
  'literal-too-large': `a literal announced larger than ${IMAP_LIMITS.maxLiteralSize} bytes`,
  'response-too-large': `a response larger than ${IMAP_LIMITS.maxResponseSize} bytes`,
  'too-many-tokens': `a response of more than ${IMAP_LIMITS.maxResponseTokens} parts`,
  flood: '',
  preauth: '',
};

export function isTlsVerifyError(code: string | undefined): boolean {
  return !!code && TLS_VERIFY_CODES.has(code);
}

/** Milliseconds per stage; `enter` closes the previous stage. */
class StageClock {
  readonly stages: StageResult[] = [];
  current: StageName = 'connect';
  private failed = false;
  private started = performance.now();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number,
    private readonly onTimeout: (stage: StageName) => void,
    private readonly onStage?: (stage: StageResult) => void,
  ) {
    this.arm();
  }

  private arm() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onTimeout(this.current), this.timeoutMs);
  }

  /** Closes the current stage; `next` starts at once (its deadline armed unless `armed` is false). */
  pass(detail: string, next?: StageName, armed = true) {
    // After a failure imapflow may still deliver a late callback: the run is already decided.
    if (this.failed) return;
    this.record({ name: this.current, ok: true, ms: this.elapsed(), detail });
    if (next) this.enter(next, armed);
    else this.stop();
  }

  /** (Re)starts a stage: its time and its deadline count from now. */
  enter(stage: StageName, armed = true) {
    if (this.failed) return;
    this.current = stage;
    this.started = performance.now();
    if (armed) this.arm();
    else this.stop();
  }

  fail(detail: string) {
    if (this.failed) return;
    this.failed = true;
    this.record({ name: this.current, ok: false, ms: this.elapsed(), detail });
    this.stop();
  }

  private record(stage: StageResult) {
    this.stages.push(stage);
    this.onStage?.(stage);
  }

  stop() {
    clearTimeout(this.timer);
  }

  private elapsed() {
    return Math.round(performance.now() - this.started);
  }
}

interface ImapError extends Error {
  code?: string;
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  response?: unknown;
  responseText?: unknown;
  responseStatus?: string;
  oauthError?: Record<string, unknown>;
  reason?: string;
}

/** Names each connection in imapflow's log entries (never shown: the transcript keeps the wire only). */
let connectionCount = 0;

function tlsOptions(t: ProbeTarget, identity: ReturnType<typeof recordingIdentityCheck>) {
  const secureContext = trustContext(t.caPem);
  return { rejectUnauthorized: !t.insecure, minVersion: 'TLSv1.2' as const, checkServerIdentity: identity.checkServerIdentity, ...(secureContext ? { secureContext } : {}) };
}

/**
 * `accessToken` may be a promise: the connection is opened while the token is requested, and
 * AUTHENTICATE waits for it (the token's round trips overlap TCP, TLS and the greeting).
 */
export async function probeMailbox(
  target: ProbeTarget,
  accessToken: string | Promise<string | undefined>,
  redactor: Redactor,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  let violation: ProbeEvidence['protocolViolation'];
  const transcript = createTranscriptLogger(redactor, {
    onFlood: (n) => {
      violation = { kind: 'flood', detail: `more than ${n - 1} lines (no check of one mailbox needs that many); the session was ended` };
      client?.close();
    },
  });
  const mech = target.mech ?? 'XOAUTH2';
  const evidence: ProbeEvidence = { authenticated: false, mechanism: mech };
  let timedOut: StageName | undefined;
  let client: ProbeClient | undefined;
  const clock = new StageClock(target.timeoutMs, (stage) => {
    timedOut = stage;
    client?.close();
  }, target.onStage);
  const servername = isIP(target.host) ? undefined : target.host;
  const identity = recordingIdentityCheck();
  const address = routeFor(target.host, target.port, target.connectTo ?? []);
  // Implicit TLS only: with STARTTLS imapflow hands its own plain socket to TLS.
  const early = target.starttls || target.proxy ? undefined : target.early?.take(address.host, address.port);

  client = new ProbeClient(
    {
      host: address.host,
      port: address.port,
      // Implicit TLS, or plain IMAP upgraded with STARTTLS (required: never a clear-text login).
      secure: !target.starttls,
      ...(target.starttls ? { doSTARTTLS: true } : {}),
      servername,
      // imapflow's own id is 13 random bytes through BigInt: a tenth of a millisecond per connection.
      id: `probe-${++connectionCount}`,
      logger: transcript.logger as never,
      tls: { ...tlsOptions(target, identity), ...(early ? { socket: early } : {}) },
      ...(target.proxy ? { proxy: target.proxy.url.href } : {}),
      connectionTimeout: target.timeoutMs,
      greetingTimeout: target.timeoutMs,
      socketTimeout: target.timeoutMs * 4,
      disableAutoIdle: true,
      disableCompression: true,
      disableAutoEnable: true,
      ...IMAP_LIMITS,
    } as never,
    {
      onGreeting(greeting) {
        evidence.greeting = redactor.redact(greeting);
        evidence.backend = decodeExchangeBackend(greeting);
      },
      onConnected() {
        const socket = (client as unknown as { socket?: TLSSocket }).socket;
        const cipher = socket?.getCipher?.();
        evidence.tls = { protocol: socket?.getProtocol?.() ?? undefined, cipher: cipher?.standardName, peer: identity.peer(() => socket?.getPeerCertificate?.()) };
        const tls = evidence.tls.protocol ? `${evidence.tls.protocol}, ` : '';
        const how = target.starttls ? 'STARTTLS, ' : '';
        clock.pass(`${how}${tls}greeting received${evidence.backend ? ` (backend ${evidence.backend})` : ''}`, 'capability');
      },
      onCapabilities(capabilities) {
        evidence.capabilities = capabilities;
      },
      onReadyForToken() {
        const sasl = evidence.capabilities?.includes('SASL-IR') ? ', SASL-IR' : '';
        // Waiting for the token belongs to no server stage: its own deadline bounds it.
        clock.pass(`AUTH=${mech} offered${sasl}`, 'authenticate', false);
      },
      onAuthenticateStart() {
        clock.enter('authenticate');
      },
      onAuthenticated() {
        evidence.authenticated = true;
        clock.pass(`AUTHENTICATE ${mech} accepted`, 'mailbox');
      },
    },
    { user: target.user, accessToken: Promise.resolve(accessToken), mech },
  );
  client.on('error', () => undefined); // failures arrive through the awaited calls
  // Ctrl-C: leave politely (LOGOUT when logged in), then drop the connection.
  const onAbort = () => {
    evidence.interrupted = true;
    const c = client!;
    if (evidence.authenticated) void c.logout().catch(() => undefined).finally(() => c.close());
    else c.close();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const fail = (err: unknown) => {
    const e = (err ?? {}) as ImapError;
    evidence.errorCode = e.code ?? (err instanceof NoMechanismError ? 'NO_MECHANISM' : undefined);
    evidence.errorMessage = redactor.redact(errorText(e, err));
    const proxyFailure = target.proxy && proxyFailureOf(err, target.proxy, address.host, address.port);
    if (proxyFailure) Object.assign(evidence, { proxy: proxyFailure, errorCode: 'EPROXY', errorMessage: redactor.redact(proxyFailure.message) });
    const response = responseText(e);
    if (response) evidence.serverResponse = redactor.redact(response);
    if (e.serverResponseCode) evidence.serverResponseCode = e.serverResponseCode;
    if (e.oauthError && typeof e.oauthError === 'object') evidence.saslChallenge = redactor.redactValue(e.oauthError);
    // Only a BYE the server really sent: Node's TLS and OpenSSL errors also carry a `reason`
    // ("wrong version number", "Host: … is not in the cert's altnames"), which is no BYE.
    const bye = (client as unknown as { byeReason?: unknown }).byeReason;
    if (typeof bye === 'string' && bye) evidence.bye = redactor.redact(bye);
    const status = /^(NO|BAD)\b/.exec(e.responseStatus ?? '')?.[1] ?? lastTaggedStatus(transcript.lines);
    if (status === 'NO' || status === 'BAD') evidence.serverStatus = status;
    if (!violation && err instanceof ProtocolViolationError) violation = { kind: err.kind, detail: err.message };
    const limit = LIMIT_CODES[e.code ?? ''];
    if (!violation && limit) violation = { kind: limit, detail: `${LIMIT_TEXT[limit]}; the session was ended` };
    if (violation) evidence.protocolViolation = violation;
    if (timedOut) evidence.timedOut = timedOut;
    // Bytes before any greeting that are not an IMAP greeting: not an IMAP server (or not at this port).
    if (!evidence.greeting && clock.current === 'connect') {
      const first = transcript.lines.find((l) => l.dir === 'S');
      // Cut short without splitting a \xNN escape.
      if (first && !/^\* (OK|PREAUTH|BYE)\b/i.test(first.text)) evidence.notImap = { firstLine: first.text.slice(0, 80).replace(/\\(x[0-9a-f]?)?$/, '') };
    }
    // The server went away without a word (no NO/BAD, no BYE, no error challenge): no verdict.
    if (!violation && !timedOut && !evidence.serverStatus && !evidence.saslChallenge && !evidence.bye && CONNECTION_LOST.test(evidence.errorCode ?? '')) {
      evidence.connectionLost = true;
    }
    clock.fail(redactor.redact(stageFailureText(clock.current, evidence)));
  };

  try {
    await client.connect();
  } catch (err) {
    fail(err);
    if (isTlsVerifyError(evidence.errorCode)) {
      // The certificate is fetched again over a direct TLS connection: not possible after STARTTLS
      // or through a proxy, where the finding names the failure without the certificate.
      const direct = !target.starttls && !target.proxy;
      evidence.tlsFailure = { code: evidence.errorCode!, peer: direct ? await fetchPeerCertificate(address.host, address.port, servername, target.timeoutMs) : undefined };
    }
    return finish();
  }

  try {
    const box = await client.examine(target.folder);
    evidence.mailbox = { folder: target.folder, exists: box.exists };
    clock.pass(`${target.folder} opened read-only: ${box.exists ?? '?'} message${box.exists === 1 ? '' : 's'}`, 'logout');
  } catch (err) {
    fail(err);
    client.close();
    return finish();
  }

  // The verdict is in: say LOGOUT (politely, so the server logs a clean logout) and close once the
  // bytes are on their way. Waiting for "* BYE" and the tagged OK would only add a round trip —
  // except with --verbose, where the whole exchange is the point (bounded by the stage deadline).
  if (target.waitForLogout) {
    try {
      await client.logout();
      clock.pass('logged out');
    } catch {
      clock.pass('connection closed without a LOGOUT reply');
    }
  } else {
    const sent = await client.sendLogout();
    clock.pass(sent ? 'LOGOUT sent (its reply is not waited for)' : 'connection already closed');
  }
  client.close();
  return finish();

  function finish(): ProbeResult {
    clock.stop();
    signal?.removeEventListener('abort', onAbort);
    const failed = clock.stages.find((s) => !s.ok);
    return {
      user: target.user,
      host: target.host,
      port: target.port,
      ok: !failed,
      failedStage: failed?.name ?? null,
      stages: clock.stages,
      transcript: transcript.lines,
      evidence,
    };
  }
}

const CONNECTION_LOST = /^(ClosedAfterConnectTLS|ClosedAfterConnectText|NoConnection|EConnectionClosed|ECONNRESET|EPIPE|ECONNABORTED)$/;

/** One line: OpenSSL's messages span lines and name source files; its `reason` is the readable part. */
function errorText(e: ImapError, err: unknown): string {
  if (/^ERR_SSL_/.test(e.code ?? '') && e.reason) return `TLS handshake failed: ${e.reason}`;
  return String(e.message ?? err).replace(/\s+/g, ' ').trim();
}

/** The server's text of a tagged NO/BAD, without tag and status ("AUTHENTICATE failed."). */
function responseText(e: ImapError): string | undefined {
  const raw = typeof e.response === 'string' ? e.response : typeof e.responseText === 'string' ? e.responseText : undefined;
  const text = raw?.replace(/\s+/g, ' ').trim().replace(/^\S+ (?:NO|BAD|OK|BYE)\b ?/i, '');
  return text || undefined;
}

/** The status of the tagged reply to the last command sent; a reply with another tag is not it. */
function lastTaggedStatus(lines: { dir: string; text: string }[]): string | undefined {
  let tag: string | undefined;
  for (let i = lines.length - 1; i >= 0 && !tag; i--) if (lines[i]!.dir === 'C') tag = /^(\S+) [A-Za-z]/.exec(lines[i]!.text)?.[1];
  if (!tag) return undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (line.dir === 'C') break;
    const m = /^(\S+) (OK|NO|BAD)\b/.exec(line.text);
    if (m && m[1] === tag) return m[2];
  }
  return undefined;
}

/** One line saying what happened, for the stage's detail. */
function stageFailureText(stage: StageName, ev: ProbeEvidence): string {
  if (ev.protocolViolation) return `the server broke the protocol: ${ev.protocolViolation.detail}`;
  if (ev.timedOut) return `no answer within the deadline (timed out in ${stage})`;
  if (ev.errorCode === 'NO_MECHANISM') return `the server does not offer AUTH=${ev.mechanism ?? 'XOAUTH2'} (offers: ${(ev.capabilities ?? []).filter((c) => c.startsWith('AUTH=')).join(' ') || 'no AUTH= mechanism'})`;
  if (ev.notImap) return `the server sent something that is not IMAP: "${ev.notImap.firstLine}"`;
  if (ev.serverResponse) return `${ev.serverStatus ?? 'server'} ${ev.serverResponse}`;
  if (ev.bye) return `server said BYE: ${ev.bye}`;
  if (ev.connectionLost) return `the server closed the connection without an answer (${ev.errorMessage ?? 'connection lost'})`;
  return ev.errorMessage ?? 'failed';
}
