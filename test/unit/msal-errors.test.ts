// toTokenError: MSAL's errors (ServerError, network AuthError, anything else) → TokenError.
import { describe, expect, it } from 'vitest';
import { toTokenError } from '../../src/token/msal-errors.js';

const TRACE = '11111111-1111-1111-1111-111111111111';
const CORRELATION = '22222222-2222-2222-2222-222222222222';
const DESCRIPTION =
  "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'.";

/** The errorMessage MSAL builds from Entra's reply; Entra's description ends in a CRLF trailer. */
function msalMessage(code: number, description: string): string {
  const entraDescription = `${description}\r\nTrace ID: ${TRACE}\r\nCorrelation ID: ${CORRELATION}\r\nTimestamp: 2026-11-25 10:00:00Z`;
  return `Error(s): ${code} - Timestamp: 2026-11-25 10:00:00Z - Description: ${entraDescription} - Correlation ID: ${CORRELATION} - Trace ID: ${TRACE}`;
}

const serverError = {
  name: 'ServerError',
  errorCode: 'invalid_client',
  errorMessage: msalMessage(7000215, DESCRIPTION),
  errorNo: 7000215,
  status: 401,
  correlationId: CORRELATION,
  message: 'invalid_client: Error(s): 7000215 - …',
};

describe('toTokenError: server errors', () => {
  it('reads an MSAL ServerError', () => {
    expect(toTokenError(serverError)).toEqual({
      kind: 'server',
      message: DESCRIPTION,
      oauthError: 'invalid_client',
      aadsts: 7000215,
      description: DESCRIPTION,
      httpStatus: 401,
      correlationId: CORRELATION,
      traceId: TRACE,
      timestamp: '2026-11-25 10:00:00Z',
      retryAfterSeconds: undefined,
    });
  });

  it('the description carries no trace trailer and is one line', () => {
    const { description, message } = toTokenError(serverError);
    expect(description).not.toMatch(/Trace ID|Correlation ID|Timestamp|[\r\n]/);
    expect(message).not.toMatch(/[\r\n]/);
  });

  it('finds the correlation ID in the text when the error has none', () => {
    const error = toTokenError({ ...serverError, correlationId: '' });
    expect(error.correlationId).toBe(CORRELATION);
    expect(error.traceId).toBe(TRACE);
  });

  it('takes the AADSTS code from the text when errorNo is missing', () => {
    const error = toTokenError({ errorCode: 'invalid_request', errorMessage: msalMessage(90002, "AADSTS90002: Tenant 'x' not found.") });
    expect(error).toMatchObject({ kind: 'server', aadsts: 90002, oauthError: 'invalid_request', description: "AADSTS90002: Tenant 'x' not found." });
    expect(error.httpStatus).toBeUndefined();
  });

  it('takes the AADSTS code from errorNo when the text has none', () => {
    expect(toTokenError({ errorCode: 'invalid_grant', errorMessage: 'something failed', errorNo: '50034' })).toMatchObject({
      kind: 'server',
      aadsts: 50034,
      message: 'something failed',
    });
  });

  it('an HTTP error status without AADSTS is still a server error', () => {
    expect(toTokenError({ errorCode: 'temporarily_unavailable', errorMessage: 'try later', status: 503 })).toMatchObject({
      kind: 'server',
      httpStatus: 503,
      aadsts: undefined,
      message: 'try later',
    });
  });

  it('passes through extra HTTP status and Retry-After', () => {
    const error = toTokenError({ ...serverError, status: undefined }, { httpStatus: 429, retryAfterSeconds: 30 });
    expect(error).toMatchObject({ kind: 'server', httpStatus: 429, retryAfterSeconds: 30 });
  });
});

describe('toTokenError: network', () => {
  it('network_error with the timeout text → timeout', () => {
    expect(toTokenError({ errorCode: 'network_error', errorMessage: 'POST localhost: timed out after 1 s' })).toEqual({
      kind: 'timeout',
      message: 'POST localhost: timed out after 1 s',
    });
  });

  it('network_error without it → network', () => {
    expect(toTokenError({ errorCode: 'network_error', errorMessage: 'getaddrinfo ENOTFOUND login.example.com' })).toEqual({
      kind: 'network',
      message: 'getaddrinfo ENOTFOUND login.example.com',
    });
  });

  it('endpoints_resolution_error → network', () => {
    expect(toTokenError({ errorCode: 'endpoints_resolution_error', errorMessage: 'Endpoints cannot be resolved' }).kind).toBe('network');
  });

  it('a network error with an AADSTS-looking text is still network', () => {
    expect(toTokenError({ errorCode: 'network_error', errorMessage: 'AADSTS90002 ECONNRESET', status: 500 }).kind).toBe('network');
  });
});

describe('toTokenError: anything else', () => {
  it('a plain Error → client, with its message', () => {
    expect(toTokenError(new Error('boom\n  at somewhere'))).toEqual({ kind: 'client', message: 'boom at somewhere', oauthError: undefined });
  });

  it('an MSAL client error keeps its code in the message', () => {
    expect(toTokenError({ errorCode: 'invalid_cert', errorMessage: 'bad thumbprint' })).toEqual({
      kind: 'client',
      message: 'invalid_cert: bad thumbprint',
      oauthError: 'invalid_cert',
    });
  });

  it('non-objects do not throw', () => {
    expect(toTokenError('just a string')).toMatchObject({ kind: 'client', message: 'just a string' });
    expect(toTokenError(undefined).kind).toBe('client');
    expect(toTokenError(null).kind).toBe('client');
  });
});
