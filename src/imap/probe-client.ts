// imapflow, cut down to what the check needs. Its own session set-up sends ID, NAMESPACE, ENABLE
// and COMPRESS, re-asks CAPABILITY after login, prefers OAUTHBEARER over XOAUTH2 and reports a BAD
// to the first post-login command as a failed login. This subclass replaces that set-up with:
// capabilities (from the greeting when it carries them) → AUTHENTICATE XOAUTH2 with an initial
// response (SASL-IR) → done; the caller then sends EXAMINE and LOGOUT itself.
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { ProtocolViolationKind } from './types.js';

export interface ProbeHooks {
  onGreeting(greeting: string): void;
  /** TLS is up: right after the greeting, or after STARTTLS. */
  onConnected(): void;
  onCapabilities(capabilities: string[]): void;
  /** Capabilities are in; the token may still be on its way (the two are fetched in parallel). */
  onReadyForToken(): void;
  onAuthenticateStart(): void;
  onAuthenticated(): void;
}

/** The parts of imapflow's internals this subclass relies on (checked against imapflow 2.10). */
interface ImapFlowInternals {
  greeting?: string;
  socket?: { destroyed: boolean; write(data: string, cb: (err?: Error | null) => void): boolean };
  tagCounter: number;
  log: { debug(entry: { src: string; msg: string }): void };
  state: unknown;
  states: { AUTHENTICATED: unknown };
  authenticated: boolean | string;
  usable: boolean;
  folders: Map<string, { path: string }>;
  run(command: string, ...args: unknown[]): Promise<unknown>;
  secureConnection: boolean;
  upgradeToSTARTTLS(): Promise<boolean>;
}

export class NoMechanismError extends Error {
  readonly code = 'NO_MECHANISM';
}

/** The server broke the protocol (PREAUTH, limits, a flood): the session is ended, the token withheld. */
export class ProtocolViolationError extends Error {
  readonly code = 'PROTOCOL_VIOLATION';
  constructor(
    readonly kind: ProtocolViolationKind,
    message: string,
  ) {
    super(message);
  }
}

/** The token request failed while the connection was being set up: the token stage reports it. */
export class TokenUnavailableError extends Error {
  readonly code = 'TOKEN_UNAVAILABLE';
}

export class ProbeClient extends ImapFlow {
  constructor(
    options: ImapFlowOptions,
    private readonly hooks: ProbeHooks,
    private readonly credentials: { user: string; accessToken: Promise<string | undefined>; mech: 'XOAUTH2' | 'OAUTHBEARER' },
  ) {
    super(options);
  }

  private get internals(): ImapFlowInternals {
    return this as unknown as ImapFlowInternals;
  }

  /** True only while send() runs its synchronous start (see isLogLevelEnabled). */
  private loggingCommand = false;

  /**
   * imapflow turns every parsed server response back into text for its debug log: 0.09 ms a
   * mailbox, the most CPU it spends beyond the wire. The transcript takes the server's line as it
   * came instead (handleResponse), so the debug level is on only while a command is sent, whose
   * log line masks the SASL response. (imapflow checks it in send() before its first await.)
   */
  isLogLevelEnabled(level: string): boolean {
    return level === 'debug' || level === 'trace' ? this.loggingCommand : true;
  }

  /** @internal imapflow's send(), with its command log on. */
  send(data: unknown): Promise<unknown> {
    this.loggingCommand = true;
    try {
      return (ImapFlow.prototype as unknown as { send(this: ImapFlow, d: unknown): Promise<unknown> }).send.call(this, data);
    } finally {
      this.loggingCommand = false;
    }
  }

  /** @internal imapflow's handleResponse(), after the server's line goes into the transcript as it came. */
  handleResponse(data: { payload: Buffer }): Promise<unknown> {
    this.internals.log.debug({ src: 's', msg: data.payload.toString('utf8') });
    return (ImapFlow.prototype as unknown as { handleResponse(this: ImapFlow, d: unknown): Promise<unknown> }).handleResponse.call(this, data);
  }

  /** Replaces imapflow's startSession (called once the greeting is in). */
  async startSession(): Promise<void> {
    const self = this.internals;
    this.hooks.onGreeting(self.greeting ?? '');
    // PREAUTH: a session that says it is logged in without a login. Nothing here can be checked
    // then, and over STARTTLS it is the classic way to keep a connection in clear text: the token
    // is never sent to it.
    if (self.authenticated === true || self.state === self.states.AUTHENTICATED) {
      throw new ProtocolViolationError('preauth', 'a PREAUTH greeting (logged in without a login); the token was not sent');
    }
    if (self.secureConnection) this.hooks.onConnected();
    // A no-op when the greeting carried the capabilities.
    const caps = await self.run('CAPABILITY');
    if (caps === false && this.capabilities.size === 0) throw Object.assign(new Error('CAPABILITY failed'), { code: 'NoConnection' });
    if (!self.secureConnection) {
      // --starttls: imapflow refuses to go on in clear text (doSTARTTLS), and asks CAPABILITY again.
      await self.upgradeToSTARTTLS();
      this.hooks.onConnected();
    }
    this.hooks.onCapabilities([...this.capabilities.keys()]);
    const mech = this.credentials.mech;
    if (!this.capabilities.has(`AUTH=${mech}`)) throw new NoMechanismError(`the server does not offer AUTH=${mech}`);
    // imapflow picks OAUTHBEARER whenever offered and XOAUTH2 otherwise: hide the one not asked for.
    for (const other of mech === 'XOAUTH2' ? ['AUTH=OAUTHBEARER'] : ['AUTH=XOAUTH2', 'AUTH=XOAUTH']) this.capabilities.delete(other);
    this.hooks.onReadyForToken();
    const accessToken = await this.credentials.accessToken;
    if (!accessToken) {
      await this.sendLogout(); // leave cleanly: there is nothing to authenticate with
      throw new TokenUnavailableError('no access token');
    }
    this.hooks.onAuthenticateStart();
    const user = await self.run('AUTHENTICATE', this.credentials.user, { accessToken });
    if (!user) throw new Error('AUTHENTICATE did not complete');
    self.authenticated = true;
    self.state = self.states.AUTHENTICATED;
    this.hooks.onAuthenticated();
    self.usable = true;
  }

  /**
   * Writes LOGOUT with the next tag and resolves once it is handed to the network, without
   * waiting for the reply (imapflow's logout() waits for it). False when the socket is gone.
   */
  sendLogout(): Promise<boolean> {
    const self = this.internals;
    const socket = self.socket;
    if (!socket || socket.destroyed) return Promise.resolve(false);
    const tag = (++self.tagCounter).toString(16).toUpperCase();
    self.log.debug({ src: 'c', msg: `${tag} LOGOUT` }); // into the transcript, like every command
    return new Promise((resolve) => {
      try {
        socket.write(`${tag} LOGOUT\r\n`, (err) => resolve(!err));
      } catch {
        resolve(false);
      }
    });
  }

  /** EXAMINE the folder; no LIST/LSUB first (imapflow's mailboxOpen sends both). */
  async examine(folder: string): Promise<{ exists?: number }> {
    const self = this.internals;
    const path = folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder;
    if (!self.folders.has(path)) self.folders.set(path, { path });
    const box = (await self.run('SELECT', path, { readOnly: true })) as { exists?: number } | undefined;
    if (!box) throw new Error('EXAMINE did not complete');
    return box;
  }
}
