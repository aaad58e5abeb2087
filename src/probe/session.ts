// What the POP3 and SMTP probes share: the target, the stage list (one deadline per stage), the
// redacted transcript, and the mapping of a wire failure to the evidence the diagnosis reads.
import { routeFor, type ConnectTo } from '../config/connect-to.js';
import { connectThroughProxy, ProxyError, type ProxyEndpoint } from '../net/proxy.js';
import type { Redactor } from '../redact.js';
import { trustContext } from '../tls-trust.js';
import { escapeControls } from '../imap/transcript.js';
import type { ProbeEvidence, ProbeResult, StageName, StageResult, TranscriptLine } from '../imap/types.js';
import { LineConn, WireError, type TlsParams } from './line-conn.js';

/** One mailbox on one POP3 or SMTP server. */
export interface WireTarget {
  user: string;
  host: string;
  port: number;
  timeoutMs: number;
  caPem?: string;
  insecure?: boolean;
  connectTo?: readonly ConnectTo[];
  mech?: 'XOAUTH2' | 'OAUTHBEARER';
  /** --verbose: wait for the QUIT reply so the transcript shows the whole exchange. */
  waitForLogout?: boolean;
  /** Called as each stage ends, passed or failed (live progress on a terminal). */
  onStage?: (stage: StageResult) => void;
  /** Tunnel through this proxy (HTTP CONNECT or SOCKS5), as the IMAP probe does. */
  proxy?: ProxyEndpoint;
}

/** A transcript longer than this is cut: a hostile server must not fill memory or the report. */
export const MAX_TRANSCRIPT_LINES = 400;
const CONNECTION_LOST = /^(ECONNCLOSED|ECONNRESET|EPIPE|ECONNABORTED)$/;

export class WireSession {
  readonly stages: StageResult[] = [];
  readonly transcript: TranscriptLine[] = [];
  readonly evidence: ProbeEvidence;
  conn?: LineConn;
  current: StageName = 'connect';
  private started = performance.now();
  private cut = false;

  constructor(
    readonly protocol: 'pop' | 'smtp',
    readonly target: WireTarget,
    readonly redactor: Redactor,
    readonly signal?: AbortSignal,
  ) {
    this.evidence = { protocol, authenticated: false, mechanism: target.mech ?? 'XOAUTH2' };
  }

  get address() {
    return routeFor(this.target.host, this.target.port, this.target.connectTo ?? []);
  }

  get tlsParams(): TlsParams {
    return { host: this.target.host, insecure: this.target.insecure, secureContext: trustContext(this.target.caPem) };
  }

  async open(kind: 'tls' | 'plain'): Promise<LineConn> {
    const { proxy } = this.target;
    const address = this.address;
    this.conn = await LineConn.open(kind, address, this.tlsParams, this.target.timeoutMs, {
      onLine: (dir, text) => this.record(dir, text),
      signal: this.signal,
      // The proxy is asked for the address connected to (after --connect-to), as imapflow's is.
      ...(proxy ? { tunnel: (timeoutMs: number) => connectThroughProxy(proxy, address.host, address.port, { timeoutMs }) } : {}),
    });
    this.conn.setDeadline(this.target.timeoutMs);
    return this.conn;
  }

  record(dir: 'C' | 'S', text: string): void {
    if (this.transcript.length >= MAX_TRANSCRIPT_LINES) {
      if (!this.cut) this.transcript.push({ dir, text: `(transcript cut after ${MAX_TRANSCRIPT_LINES} lines)` });
      this.cut = true;
      return;
    }
    this.transcript.push({ dir, text: escapeControls(this.redactor.redact(text)) });
  }

  /** Closes the current stage as passed; `next` starts now, with its own deadline. */
  pass(detail: string, next?: StageName): void {
    this.recordStage({ name: this.current, ok: true, ms: this.elapsed(), detail: this.redactor.redact(detail) });
    if (next) this.enter(next);
  }

  enter(stage: StageName): void {
    this.current = stage;
    this.started = performance.now();
    this.conn?.setDeadline(this.target.timeoutMs);
  }

  /** Fails the current stage with a line of its own; evidence is filled in by the caller. */
  fail(detail: string): void {
    this.recordStage({ name: this.current, ok: false, ms: this.elapsed(), detail: this.redactor.redact(detail) });
  }

  private recordStage(stage: StageResult): void {
    this.stages.push(stage);
    this.target.onStage?.(stage);
  }

  /** A wire failure (timeout, TLS, closed, refused, …) as evidence, then the stage fails with it. */
  failWith(err: unknown): void {
    const ev = this.evidence;
    if (err instanceof ProxyError) {
      // The proxy's own finding names it; nothing reached the server.
      Object.assign(ev, { proxy: err.failure, errorCode: 'EPROXY', errorMessage: this.redactor.redact(err.failure.message) });
      this.fail(err.failure.message);
      return;
    }
    const e = err instanceof WireError ? err : new WireError((err as { code?: string })?.code ?? 'INTERNAL', String((err as Error)?.message ?? err));
    if (e.code === 'ABORTED') ev.interrupted = true;
    if (e.code === 'ETIMEDOUT') ev.timedOut = this.current;
    else ev.errorCode = e.code;
    ev.errorMessage = this.redactor.redact(e.message);
    if (e.peer || /^(CERT_|ERR_TLS_CERT|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|INVALID_CA)/.test(e.code)) ev.tlsFailure = { code: e.code, peer: e.peer };
    if (CONNECTION_LOST.test(e.code)) ev.connectionLost = true;
    const text = ev.timedOut ? `no answer within the deadline (timed out in ${this.current})` : ev.tlsFailure ? `TLS verification failed: ${e.code}` : e.message;
    this.fail(text);
  }

  /** Sends the goodbye (and, with --verbose, waits for its reply), then closes. */
  async logout(command: string, readReply: () => Promise<unknown>): Promise<void> {
    const conn = this.conn!;
    try {
      conn.send(command);
      if (this.target.waitForLogout) {
        await readReply();
        this.pass('logged out');
      } else {
        const sent = await conn.flush();
        this.pass(sent ? `${command} sent (its reply is not waited for)` : 'connection already closed');
      }
    } catch {
      this.pass(`connection closed without a ${command} reply`);
    }
    conn.close();
  }

  /** After a refusal: say QUIT without waiting (the verdict is in), if the line is still up. */
  async quietQuit(): Promise<void> {
    try {
      this.conn?.send('QUIT');
      await this.conn?.flush();
    } catch {
      // already gone
    }
  }

  result(): ProbeResult {
    this.conn?.close();
    const failed = this.stages.find((s) => !s.ok);
    return {
      user: this.target.user,
      host: this.target.host,
      port: this.target.port,
      ok: !failed,
      failedStage: failed?.name ?? null,
      stages: this.stages,
      transcript: this.transcript,
      evidence: this.evidence,
    };
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.started);
  }
}

/** A server refusal (not a wire failure): the failing stage names the reply. */
export class Refusal extends Error {}
