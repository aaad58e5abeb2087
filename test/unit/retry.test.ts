// --retries: only what could pass on a second try is retried. A smoke check reports what it saw,
// so a refused credential, a rejected login (even one the server follows with BYE), HTTP 400, a
// TLS or protocol failure are answered once; a server's Retry-After is honoured only up to a cap.
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffMs, isTransientProbeFailure, isTransientTokenError, MAX_RETRY_AFTER_MS, sleep } from '../../src/batch/retry.js';
import type { ProbeEvidence } from '../../src/imap/types.js';
import type { TokenError } from '../../src/token/types.js';

const server = (over: Partial<TokenError>): TokenError => ({ kind: 'server', message: 'the token endpoint refused', ...over });
const network = (message: string): TokenError => ({ kind: 'network', message });
const ev = (over: Partial<ProbeEvidence>): ProbeEvidence => ({ authenticated: false, ...over });

describe('isTransientTokenError', () => {
  it('no error, nothing to retry', () => {
    expect(isTransientTokenError(undefined)).toBe(false);
  });

  it.each([429, 500, 502, 503, 504])('HTTP %i is retried', (httpStatus) => {
    expect(isTransientTokenError(server({ httpStatus }))).toBe(true);
  });

  it.each([400, 401, 403, 404, 501, 505])('HTTP %i is not (a refusal or a server that cannot do it)', (httpStatus) => {
    expect(isTransientTokenError(server({ httpStatus }))).toBe(false);
  });

  it('HTTP 400 with a refused credential (AADSTS7000215) is answered once', () => {
    expect(isTransientTokenError(server({ httpStatus: 400, oauthError: 'invalid_client', aadsts: 7000215 }))).toBe(false);
  });

  it('AADSTS50196 (request loop: "try again later") is retried whatever the status', () => {
    expect(isTransientTokenError(server({ httpStatus: 400, aadsts: 50196 }))).toBe(true);
    expect(isTransientTokenError(server({ aadsts: 50196 }))).toBe(true);
  });

  it('a server error with neither a status nor a code is not', () => {
    expect(isTransientTokenError(server({}))).toBe(false);
  });

  it.each(['read ECONNRESET', 'socket hang up', 'write EPIPE', 'connect ETIMEDOUT 10.0.0.1:443', 'Socket Hang Up', 'econnreset'])(
    'a network failure "%s" is retried',
    (message) => {
      expect(isTransientTokenError(network(message))).toBe(true);
    },
  );

  it.each(['getaddrinfo ENOTFOUND login.microsoftonline.com', 'connect ECONNREFUSED 127.0.0.1:443', 'self-signed certificate'])(
    'a network failure "%s" is not (it will fail the same way)',
    (message) => {
      expect(isTransientTokenError(network(message))).toBe(false);
    },
  );

  it.each(['timeout', 'empty-token', 'client', 'misbehaved'] as const)('a %s error is never retried, even with a transient status or text', (kind) => {
    expect(isTransientTokenError({ kind, message: 'read ECONNRESET', httpStatus: 503, aadsts: 50196 })).toBe(false);
  });
});

describe('isTransientProbeFailure', () => {
  it.each(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ECONNCLOSED', 'EConnectionClosed', 'NoConnection', 'ClosedAfterConnectTLS', 'ClosedAfterConnectText'])(
    'a connection dropped without a verdict (%s) is retried',
    (errorCode) => {
      expect(isTransientProbeFailure(ev({ errorCode, connectionLost: true }))).toBe(true);
    },
  );

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EPROXY', 'TOKEN_UNAVAILABLE', 'XECONNRESET', 'ECONNRESETX', 'econnreset', ''])('error code %j is not', (errorCode) => {
    expect(isTransientProbeFailure(ev({ errorCode }))).toBe(false);
  });

  it('no error code and no BYE: nothing says it was transient', () => {
    expect(isTransientProbeFailure(ev({}))).toBe(false);
  });

  it('a rejected login followed by BYE and a closed connection is not retried', () => {
    const rejected = { errorCode: 'EConnectionClosed', bye: 'Connection is closed. 13', serverResponse: 'AUTHENTICATE failed.' };
    expect(isTransientProbeFailure(ev({ ...rejected, serverStatus: 'NO' }))).toBe(false);
    expect(isTransientProbeFailure(ev({ ...rejected, serverStatus: 'BAD' }))).toBe(false);
  });

  it('an error challenge (the token refused) is a verdict, whatever comes after it', () => {
    const challenge = { status: '401', schemes: 'bearer', scope: 'mail' };
    expect(isTransientProbeFailure(ev({ saslChallenge: challenge, errorCode: 'ECONNCLOSED' }))).toBe(false);
    expect(isTransientProbeFailure(ev({ saslChallenge: challenge, bye: 'Server Unavailable. 15' }))).toBe(false);
  });

  it.each([
    ['a TLS verification failure', { tlsFailure: { code: 'CERT_HAS_EXPIRED' } }],
    ['a server that is not IMAP', { notImap: { firstLine: 'SSH-2.0-OpenSSH_9.2' } }],
    ['a protocol violation (flood, oversized literal)', { protocolViolation: { kind: 'flood', detail: 'more than 1000 lines' } }],
    ['no usable mechanism', { errorCode: 'NO_MECHANISM' }],
    ['a stage that timed out', { timedOut: 'authenticate' }],
    ['an interrupted probe (Ctrl-C)', { interrupted: true }],
  ] as const)('%s is not retried, even when the connection then dropped', (_, over) => {
    expect(isTransientProbeFailure(ev({ errorCode: 'ECONNRESET', ...over }))).toBe(false);
  });

  it.each(['Server Unavailable. 15', 'service is busy', 'Please try again later', 'Connection is closed. 13', 'SERVER TEMPORARILY UNAVAILABLE'])(
    'a BYE saying the server is unavailable ("%s") is retried',
    (bye) => {
      expect(isTransientProbeFailure(ev({ bye }))).toBe(true);
    },
  );

  it.each(['Authentication failed', 'Too many invalid IMAP commands', 'unavailable', 'server', 'Logging out'])(
    'any other BYE ("%s") is not, even though the connection closed after it',
    (bye) => {
      expect(isTransientProbeFailure(ev({ bye, errorCode: 'EConnectionClosed' }))).toBe(false);
    },
  );
});

describe('backoffMs', () => {
  const fixed = (r: number) => ({ random: () => r });

  it('doubles from 500 ms, with jitter between half the ceiling and the ceiling', () => {
    expect([0, 1, 2, 3].map((a) => backoffMs(a, undefined, fixed(0)))).toEqual([250, 500, 1000, 2000]);
    expect([0, 1, 2, 3].map((a) => backoffMs(a, undefined, fixed(1)))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs(1, undefined, fixed(0.5))).toBe(750);
  });

  it('is capped at 10 s however many attempts', () => {
    expect(backoffMs(5, undefined, fixed(1))).toBe(10_000);
    expect(backoffMs(50, undefined, fixed(0))).toBe(5_000);
  });

  it('base and cap can be set', () => {
    expect(backoffMs(2, undefined, { baseMs: 100, capMs: 300, random: () => 1 })).toBe(300);
    expect(backoffMs(1, undefined, { baseMs: 100, random: () => 1 })).toBe(200);
  });

  it('without a random source it stays within the bounds', () => {
    for (let i = 0; i < 50; i++) {
      const ms = backoffMs(3);
      expect(ms).toBeGreaterThanOrEqual(2000);
      expect(ms).toBeLessThanOrEqual(4000);
    }
  });

  it('Retry-After wins over the backoff', () => {
    expect(backoffMs(0, 3, fixed(1))).toBe(3000);
    expect(backoffMs(5, 0, fixed(1))).toBe(0);
  });

  it('Retry-After: 3600 is not honoured in full: a minute at most', () => {
    expect(MAX_RETRY_AFTER_MS).toBe(60_000);
    expect(backoffMs(0, 3600, fixed(1))).toBe(60_000);
    expect(backoffMs(0, 60, fixed(1))).toBe(60_000);
    expect(backoffMs(0, Infinity, fixed(1))).toBe(60_000);
  });

  it('an unusable Retry-After (negative, not a number) falls back to the backoff', () => {
    expect(backoffMs(1, -5, fixed(1))).toBe(1000);
    expect(backoffMs(1, NaN, fixed(1))).toBe(1000);
  });
});

describe('sleep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const settled = async (p: Promise<void>) => {
    let done = false;
    void p.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    return () => done;
  };

  it('resolves once the time has passed, not before', async () => {
    vi.useFakeTimers();
    const done = await settled(sleep(1000));
    await vi.advanceTimersByTimeAsync(999);
    expect(done()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done()).toBe(true);
  });

  it('a wait that ran its course leaves no listener on the signal (one signal serves every retry)', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const done = await settled(sleep(1000, controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(done()).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('an abort ends the wait at once and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const done = await settled(sleep(60_000, controller.signal));
    expect(done()).toBe(false);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(done()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('a signal that has already aborted does not wait at all', async () => {
    vi.useFakeTimers();
    const done = await settled(sleep(60_000, AbortSignal.abort()));
    expect(done()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
