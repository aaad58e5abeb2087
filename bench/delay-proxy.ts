// A loopback TCP proxy that adds a fixed one-way delay to every chunk, in both directions, keeping
// the order of the bytes (one FIFO queue per direction, one timer per queue).
//
// The TCP handshake: a loopback connect() completes at once, so a client would send its first bytes
// one round trip earlier than over a real network (where it waits for the SYN-ACK). The proxy
// therefore holds the client's bytes until one RTT after it accepted the connection, and then adds the
// one-way delay: the first client bytes reach the server 1.5 RTT after connect(), as on a real link.
// This models client-speaks-first protocols (TLS, HTTPS), which is all the benchmark uses.
import * as net from 'node:net';

export interface DelayProxyOptions {
  /** Where to forward to. */
  target: { host: string; port: number };
  /** Added to every chunk, each way (25 → 50 ms RTT). 0: a plain relay. */
  oneWayDelayMs: number;
  /** Safety bound: a direction with more bytes in flight than this is cut (default 64 MiB). */
  maxQueuedBytes?: number;
  /** Upstream connect deadline (default 5 s). */
  connectTimeoutMs?: number;
  /**
   * Timers fire up to ~2 ms late (whole-millisecond loop clock). With precise: true the timer is set
   * 2 ms early and the last stretch is waited out with setImmediate, so chunks leave within a few
   * microseconds of their due time; that costs CPU while a chunk is due, so use it when few
   * connections are open at once (the single-mailbox runs), not for the batch.
   */
  precise?: boolean;
}

export interface DelayProxyStats {
  connections: number;
  /** Client connections open now, and the most open at once (reset it by assigning `open`). */
  open: number;
  maxOpen: number;
  chunks: number;
  bytes: number;
  /** Sum of the extra time chunks waited beyond their due time (timer lateness), ms. */
  latenessMs: number;
  maxLatenessMs: number;
}

export interface DelayProxy {
  host: string;
  port: number;
  oneWayDelayMs: number;
  stats: DelayProxyStats;
  close(): Promise<void>;
}

type Item = { due: number; data: Buffer | null };

/** Moves bytes from `from` to `to`, each chunk at max(arrival, notBefore) + delay. */
function delayedPipe(from: net.Socket, to: net.Socket, delayMs: number, notBefore: number, stats: DelayProxyStats, maxQueued: number, precise: boolean): void {
  const queue: Item[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  const EARLY_MS = precise ? 2 : 0;

  const pump = () => {
    timer = null;
    const now = performance.now();
    // Bounded by the queue length at entry: nothing is added while this loop runs.
    for (let n = queue.length; n > 0 && queue[0]!.due <= now; n--) {
      const item = queue.shift()!;
      const late = now - item.due;
      stats.latenessMs += late;
      stats.maxLatenessMs = Math.max(stats.maxLatenessMs, late);
      if (item.data === null) {
        to.end();
      } else {
        queued -= item.data.length;
        stats.chunks++;
        stats.bytes += item.data.length;
        if (!to.destroyed) to.write(item.data);
      }
    }
    schedule();
  };
  const schedule = () => {
    if (timer || queue.length === 0) return;
    const wait = queue[0]!.due - performance.now();
    if (wait <= 0) timer = setImmediate(pump);
    else if (wait <= EARLY_MS) timer = setImmediate(pump); // spin the last stretch (precise mode)
    else timer = setTimeout(pump, wait - EARLY_MS);
  };
  const cancel = () => {
    if (timer) {
      clearTimeout(timer as NodeJS.Timeout);
      clearImmediate(timer as NodeJS.Immediate);
    }
    timer = null;
  };
  const push = (data: Buffer | null) => {
    // Fixed delay: due times never decrease, so FIFO order is delivery order.
    queue.push({ due: Math.max(performance.now(), notBefore) + delayMs, data });
    if (data) {
      queued += data.length;
      if (queued > maxQueued) {
        from.destroy();
        to.destroy();
        return;
      }
    }
    schedule();
  };

  let ended = false;
  from.on('data', (d: Buffer) => push(d));
  // FIN travels like data (half-open sockets on both sides, so nothing is closed early).
  from.on('end', () => {
    ended = true;
    push(null);
  });
  // A reset (close without FIN) closes the other side once what is in flight has been delivered.
  from.on('close', () => {
    if (ended) return;
    const last = queue.length ? queue[queue.length - 1]!.due : performance.now();
    const t = setTimeout(() => to.destroy(), Math.max(0, last - performance.now()) + 1);
    t.unref();
  });
  to.on('close', () => {
    cancel();
    queue.length = 0;
  });
}

export async function startDelayProxy(opts: DelayProxyOptions): Promise<DelayProxy> {
  const delay = opts.oneWayDelayMs;
  const maxQueued = opts.maxQueuedBytes ?? 64 * 1024 * 1024;
  const stats: DelayProxyStats = { connections: 0, open: 0, maxOpen: 0, chunks: 0, bytes: 0, latenessMs: 0, maxLatenessMs: 0 };
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined); // a reset is relayed as a close
  };

  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    const accepted = performance.now();
    stats.connections++;
    stats.open++;
    stats.maxOpen = Math.max(stats.maxOpen, stats.open);
    client.once('close', () => stats.open--);
    track(client);
    client.setNoDelay(true);
    const upstream = net.connect({ host: opts.target.host, port: opts.target.port, noDelay: true, allowHalfOpen: true });
    track(upstream);
    const connectTimer = setTimeout(() => upstream.destroy(new Error('upstream connect timed out')), opts.connectTimeoutMs ?? 5_000);
    upstream.once('connect', () => clearTimeout(connectTimer));
    upstream.once('close', () => clearTimeout(connectTimer));
    // Client → server: held until the emulated TCP handshake is over (one RTT), then delayed.
    delayedPipe(client, upstream, delay, accepted + 2 * delay, stats, maxQueued, !!opts.precise);
    delayedPipe(upstream, client, delay, 0, stats, maxQueued, !!opts.precise);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    host: '127.0.0.1',
    port,
    oneWayDelayMs: delay,
    stats,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      })),
  };
}
