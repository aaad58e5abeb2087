// A run opens its first TCP connections (one check's IMAP server, the token endpoint) before it
// loads the code that speaks on them (imapflow, MSAL) and before it builds the trust store: those
// tens of milliseconds then pass while the handshake is on the wire, not before the first packet.
import { connect, type Socket } from 'node:net';
import { routeFor } from '../config/connect-to.js';
import type { Config } from '../config/types.js';
import { proxyFor } from './proxy.js';

export class EarlyConnection {
  private socket: Socket | undefined;
  private failed = false;
  /** Settles once the connect has been issued (for an IP address Node issues it on the next tick). */
  readonly started: Promise<void>;

  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    const socket = connect({ host, port });
    // Nothing is read before TLS takes the socket over: bytes read now would be lost to it.
    socket.pause();
    // A failure before the socket is taken: the taker connects afresh and meets the error itself,
    // with its own timers and messages. The listener stays: an 'error' without one would throw.
    socket.on('error', () => void (this.failed = true));
    this.socket = socket;
    this.started = new Promise((resolve) => setImmediate(resolve));
  }

  /** The socket, once, when it is for host:port and has not failed; undefined: connect as usual. */
  take(host: string, port: number): Socket | undefined {
    const socket = this.socket;
    if (!socket || host !== this.host || port !== this.port) return undefined;
    this.socket = undefined;
    if (!this.failed && !socket.destroyed) return socket;
    socket.destroy();
    return undefined;
  }

  /** Drops the socket if nobody took it (a token from the cache, a run that ended early). */
  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/** What a run may open before it loads anything: the mail server's and the token endpoint's. */
export interface EarlyConnections {
  mail?: EarlyConnection;
  token?: EarlyConnection;
  /** Settles once both connects have been issued. */
  started: Promise<void>;
  close(): void;
}

/**
 * The mail server for one IMAP check over implicit TLS straight to it (a batch opens its
 * connections as its pool runs; STARTTLS and proxies connect their own way), and the token
 * endpoint for every run that requests a token (one request, first thing), unless it comes from a
 * browser sign-in: its first request is minutes away, on a connection the server would have
 * dropped by then.
 */
export function earlyConnections(config: Config): EarlyConnections | undefined {
  const oneImap = config.users.length === 1 && config.protocols.length === 1 && config.protocols[0] === 'imap';
  const mail = oneImap && !config.starttls && !config.shard && !config.resume && !config.rate ? direct(config, 'mail', config.host, config.port) : undefined;
  const kind = config.credential.kind;
  const url = new URL(config.authorityHost);
  const token = kind !== 'access-token-file' && kind !== 'interactive' ? direct(config, 'token', url.hostname, Number(url.port || 443)) : undefined;
  if (!mail && !token) return undefined;
  return {
    mail,
    token,
    started: Promise.all([mail?.started, token?.started]).then(() => undefined),
    close() {
      mail?.close();
      token?.close();
    },
  };
}

function direct(config: Config, use: 'mail' | 'token', host: string, port: number): EarlyConnection | undefined {
  if (proxyFor(config.proxy, use, host, port)) return undefined;
  const address = routeFor(host, port, config.connectTo ?? []);
  return new EarlyConnection(address.host, address.port);
}
