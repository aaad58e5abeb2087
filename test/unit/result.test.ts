// Exit codes are a public interface (CI branches on them): which code a failed stage gives, which
// code a batch gives when its failures differ, and the help text that documents them.
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_HELP, ExitCode, exitCodeHelpText } from '../../src/exit-codes.js';
import type { ProbeEvidence } from '../../src/imap/types.js';
import { exitCodeFor, runExitCode, type MailboxResult } from '../../src/result.js';

const ev = (over: Partial<ProbeEvidence> = {}): ProbeEvidence => ({ authenticated: false, ...over });
const violation = { protocolViolation: { kind: 'line-too-long' as const, detail: 'a line over 64 KiB' } };

describe('exitCodeFor', () => {
  it('no failed stage: 0', () => {
    expect(exitCodeFor(null)).toBe(0);
    expect(exitCodeFor(null, ev({ connectionLost: true, ...violation }))).toBe(0);
  });

  it('each stage has its own code', () => {
    expect(exitCodeFor('token')).toBe(3);
    expect(exitCodeFor('connect')).toBe(4);
    expect(exitCodeFor('capability', ev({ errorCode: 'NO_MECHANISM' }))).toBe(5);
    expect(exitCodeFor('authenticate', ev({ serverStatus: 'NO' }))).toBe(6);
    expect(exitCodeFor('mailbox', ev({ authenticated: true, serverStatus: 'NO' }))).toBe(7);
    expect(exitCodeFor('logout')).toBe(0);
  });

  it('capability: 5 only when the capabilities were read and lack the mechanism; a close before CAPABILITY is a connection failure', () => {
    expect(exitCodeFor('capability')).toBe(4);
    expect(exitCodeFor('capability', ev({ errorCode: 'EConnectionClosed', connectionLost: true }))).toBe(4);
    expect(exitCodeFor('capability', ev({ timedOut: 'capability' }))).toBe(4);
  });

  it('authenticate: a connection dropped mid-login is no verdict on the credentials (4); a refusal or a BYE is (6)', () => {
    expect(exitCodeFor('authenticate')).toBe(6);
    expect(exitCodeFor('authenticate', ev({ connectionLost: true, errorCode: 'ECONNRESET' }))).toBe(4);
    expect(exitCodeFor('authenticate', ev({ bye: 'Authentication failed', errorCode: 'EConnectionClosed' }))).toBe(6);
    expect(exitCodeFor('authenticate', ev({ saslChallenge: { status: '401' } }))).toBe(6);
    expect(exitCodeFor('authenticate', ev({ timedOut: 'authenticate' }))).toBe(6);
  });

  it('a protocol violation before the login is a connection failure, whatever else was seen', () => {
    expect(exitCodeFor('authenticate', ev(violation))).toBe(4);
    expect(exitCodeFor('capability', ev(violation))).toBe(4);
    expect(exitCodeFor('capability', ev({ errorCode: 'NO_MECHANISM', ...violation }))).toBe(4);
    expect(exitCodeFor('authenticate', ev({ serverStatus: 'NO', ...violation }))).toBe(4);
  });

  it('after the login a violation or a dropped connection keeps the mailbox stage code', () => {
    expect(exitCodeFor('mailbox', ev({ authenticated: true, ...violation }))).toBe(7);
    expect(exitCodeFor('mailbox', ev({ authenticated: true, connectionLost: true }))).toBe(7);
    expect(exitCodeFor('connect', ev(violation))).toBe(4);
    expect(exitCodeFor('token', ev({ connectionLost: true }))).toBe(3);
  });
});

describe('runExitCode (a batch)', () => {
  const result = (ok: boolean, exitCode: ExitCode): MailboxResult =>
    ({ user: 'a@contoso.com', host: 'h', port: 993, ok, exitCode, failedStage: null, stages: [], transcript: [], diagnosis: [] }) as MailboxResult;

  it('0 when nothing ran or everything passed', () => {
    expect(runExitCode([])).toBe(0);
    expect(runExitCode([result(true, 0), result(true, 0)])).toBe(0);
  });

  it('one failure among passes gives its code', () => {
    expect(runExitCode([result(true, 0), result(false, 7), result(true, 0)])).toBe(7);
  });

  it('failures that differ: the earliest failing stage wins, whatever the order', () => {
    expect(runExitCode([result(false, 6), result(false, 4), result(false, 7)])).toBe(4);
    expect(runExitCode([result(false, 7), result(true, 0), result(false, 5)])).toBe(5);
    expect(runExitCode([result(false, 3), result(false, 6)])).toBe(3);
  });

  it('only failures count (a passed result is never read for its code)', () => {
    expect(runExitCode([result(true, 4), result(false, 6)])).toBe(6);
  });
});

describe('the documented exit codes', () => {
  it('every code has one line of help, in the order of the stages', () => {
    const codes = EXIT_CODE_HELP.map(([code]) => code);
    expect(codes).toEqual(Object.values(ExitCode));
    expect(codes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 130, 143]);
    for (const [, text] of EXIT_CODE_HELP) expect(text).toMatch(/^\S.{5,}$/);
  });

  it('the help text lists each code with its meaning, one a line', () => {
    const lines = exitCodeHelpText().split('\n');
    expect(lines).toHaveLength(EXIT_CODE_HELP.length);
    expect(lines[0]).toBe('  0  passed');
    expect(lines).toContain('  6  authentication rejected');
    expect(lines).toContain('  4  connection failed (DNS, TCP, TLS, greeting)');
    expect(lines.at(-2)).toMatch(/^ {2}130 {2}interrupted \(Ctrl-C\)/);
    expect(lines.at(-1)).toMatch(/^ {2}143 {2}terminated \(SIGTERM/);
  });
});
