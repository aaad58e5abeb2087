// Hand-made RunResults for the report renderers' unit tests (no network).
import type { Diagnosis } from '../../src/diagnose/index.js';
import type { MailboxResult, RunResult } from '../../src/result.js';

export const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

export function passed(user: string, protocol: 'imap' | 'pop' | 'smtp' = 'imap', host = 'outlook.office365.com'): MailboxResult {
  return {
    user, protocol, host, port: 993, ok: true, exitCode: 0, failedStage: null,
    stages: [
      { name: 'token', ok: true, ms: 212, detail: 'acquired' },
      { name: 'connect', ok: true, ms: 61, detail: 'TLSv1.3' },
      { name: 'authenticate', ok: true, ms: 95, detail: 'accepted' },
    ],
    transcript: [], diagnosis: [], messages: 3,
    evidence: { authenticated: true, tls: { peer: { subject: 'CN=x', issuer: 'CN=ca', validFrom: '2026-01-01T00:00:00.000Z', validTo: '2026-09-01T00:00:00.000Z' } } },
  };
}

export function failed(user: string, diagnosis: Diagnosis[], stage: 'authenticate' | 'connect' = 'authenticate'): MailboxResult {
  return {
    ...passed(user), ok: false, exitCode: stage === 'connect' ? 4 : 6, failedStage: stage,
    stages: [{ name: 'token', ok: true, ms: 200, detail: 'acquired' }, { name: stage, ok: false, ms: 30, detail: 'NO AUTHENTICATE failed.' }],
    diagnosis,
  };
}

export const finding = (id: string, fix = `Fix for ${id}`): Diagnosis => ({ id, summary: `Summary of ${id}`, cause: `Cause of ${id}`, fix, severity: 'error' });

export function run(results: MailboxResult[], credentialDays?: number): RunResult {
  const exitCode = results.some((r) => !r.ok) ? (Math.min(...results.filter((r) => !r.ok).map((r) => r.exitCode)) as RunResult['exitCode']) : 0;
  return {
    ok: exitCode === 0, exitCode,
    token: { source: 'certificate', ok: true, ms: 212, requests: 1, expiresAt: '2026-06-01T01:00:00.000Z' },
    results,
    credential: credentialDays === undefined ? { kind: 'client-secret' } : { kind: 'certificate', notAfter: new Date(NOW.getTime() + credentialDays * DAY).toISOString(), subject: 'CN=imap-oauth', thumbprintSha1: 'AB' },
  };
}
