// --rate N/s | N/m: a token bucket on connection starts across the whole batch. Exchange Online
// throttles connections per app and per mailbox; a long audit that stays under a steady rate
// finishes, one that bursts gets refused and retried. Pure apart from the injected clock.
import { sleep } from './retry.js';

export interface Rate {
  /** Connection starts per second (may be fractional: 30/m is 0.5). */
  perSecond: number;
  /** The most starts at once after a quiet spell: one second's worth, at least 1. */
  burst: number;
  /** As given, for messages: "10/s". */
  text: string;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60 };

/** "10/s", "600/m", "0.5/s" → a Rate. Throws a short reason for the caller to word. */
export function parseRate(value: string): Rate {
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)\s*$/i.exec(value);
  const seconds = m ? UNIT_SECONDS[m[2]!.toLowerCase()] : undefined;
  if (!m || seconds === undefined) throw new Error('expected connection starts per second or per minute, e.g. 10/s or 600/m');
  const count = Number(m[1]);
  if (!(count > 0)) throw new Error('the rate must be more than 0');
  const perSecond = count / seconds;
  if (perSecond > 10_000) throw new Error('at most 10000/s');
  return { perSecond, burst: Math.max(1, Math.floor(perSecond)), text: `${m[1]}/${m[2]!.toLowerCase().startsWith('m') ? 'm' : 's'}` };
}

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Starts full (`burst` tokens), refills at `perSecond`. A taker that finds none reserves the
 * next token (the count goes below zero) and waits for it: waiters are served in the order
 * they came, however many lanes wait at once. An abort while waiting gives the token back.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: Pick<Rate, 'perSecond' | 'burst'>,
    private readonly clock: Clock,
  ) {
    this.tokens = rate.burst;
    this.last = clock.now();
  }

  /** Waits for a token: true when one was had, false when `signal` aborted first. */
  async take(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return true;
    await this.clock.sleep((-this.tokens / this.rate.perSecond) * 1000, signal);
    if (signal?.aborted) {
      this.refill();
      this.tokens += 1;
      return false;
    }
    return true;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.last) / 1000) * this.rate.perSecond);
    this.last = now;
  }
}

export const REAL_CLOCK: Clock = { now: () => performance.now(), sleep };
