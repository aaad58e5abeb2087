// `explain` examples for the POP3 and SMTP AUTH rules: the evidence each one reads, with
// Exchange's own replies (see src/sandbox/smtp-server.ts for where each string was checked).
import type { ProbeEvidence, StageName } from '../imap/types.js';
import type { TokenClaims } from '../token/claims.js';
import type { DiagnosisContext } from './types.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const MAILBOX = '<mailbox>';
const CLAIMS: TokenClaims = { aud: 'https://outlook.office365.com', roles: ['IMAP.AccessAsApp', 'POP.AccessAsApp', 'SMTP.SendAsApp'], exp: NOW_S + 3600, nbf: NOW_S - 300 };
const HOST = { pop: 'outlook.office365.com', smtp: 'smtp.office365.com' } as const;
const PORT = { pop: 995, smtp: 587 } as const;

function mail(protocol: 'pop' | 'smtp', stage: StageName, evidence: Partial<ProbeEvidence>, claims: Partial<TokenClaims> = {}): DiagnosisContext {
  return {
    user: MAILBOX,
    host: HOST[protocol],
    scope: 'https://outlook.office365.com/.default',
    credential: 'client-secret',
    token: { source: 'client-secret', ok: true, claims: { ...CLAIMS, ...claims }, ms: 0, requests: 1 },
    now: NOW,
    probe: {
      user: MAILBOX, host: HOST[protocol], port: PORT[protocol], ok: false, failedStage: stage, stages: [], transcript: [],
      evidence: { authenticated: false, protocol, ...evidence },
    },
  };
}

const smtpReply = (command: string, line: string): Partial<ProbeEvidence> => {
  const m = /^(\d{3}) (([245]\.\d+\.\d+)\b.*)$/.exec(line)!;
  return { serverResponse: line, smtpReply: { command, code: Number(m[1]), enhanced: m[3], text: m[2]! } };
};
const AUTH_FAILED = '-ERR Authentication failure: unknown user name or bad password.'.slice(5);

function both(make: (p: 'pop' | 'smtp') => Record<string, () => DiagnosisContext>) {
  return { ...make('pop'), ...make('smtp') };
}

export const MAIL_EXAMPLES: Record<string, () => DiagnosisContext> = {
  ...both((p) => ({
    [`${p}-timeout`]: () => mail(p, 'connect', { timedOut: 'connect' }),
    [`${p}-dns`]: () => mail(p, 'connect', { errorCode: 'ENOTFOUND' }),
    [`${p}-refused`]: () => mail(p, 'connect', { errorCode: 'ECONNREFUSED' }),
    [`${p}-tls-untrusted`]: () => mail(p, p === 'smtp' ? 'capability' : 'connect', { errorCode: 'SELF_SIGNED_CERT_IN_CHAIN', tlsFailure: { code: 'SELF_SIGNED_CERT_IN_CHAIN' } }),
    [`${p}-not-${p}`]: () => mail(p, 'connect', { errorCode: 'NOT_SMTP', notImap: { firstLine: 'HTTP/1.1 400 Bad Request' } }),
    [`${p}-connection-lost`]: () => mail(p, 'authenticate', { errorCode: 'ECONNCLOSED', errorMessage: 'the server closed the connection', connectionLost: true }),
    [`${p}-no-mechanism`]: () => mail(p, 'capability', { errorCode: 'NO_MECHANISM', mechanism: 'OAUTHBEARER', capabilities: p === 'pop' ? ['SASL PLAIN XOAUTH2'] : ['AUTH LOGIN XOAUTH2'] }),
    [`${p}-sasl-error-challenge`]: () => mail(p, 'authenticate', { saslChallenge: { status: '401', schemes: 'bearer' }, serverResponse: 'Authentication failed.' }),
    [`${p}-token-missing-role`]: () => mail(p, 'authenticate', { serverResponse: 'refused' }, { roles: ['IMAP.AccessAsApp'] }),
    [`${p}-token-missing-scope`]: () => ({ ...mail(p, 'authenticate', { serverResponse: 'refused' }, { aud: 'https://outlook.office.com', scp: 'IMAP.AccessAsUser.All', roles: undefined }), credential: 'device-code' }),
  })),
  'pop-auth-rejected-service-principal': () => mail('pop', 'authenticate', { serverResponse: AUTH_FAILED }),
  'pop-auth-rejected': () => mail('pop', 'authenticate', { serverResponse: AUTH_FAILED }, { roles: [] }),
  'pop-mailbox-failed': () => mail('pop', 'mailbox', { authenticated: true, serverResponse: 'Command is not valid in this state.' }),
  'smtp-no-starttls': () => mail('smtp', 'capability', { errorCode: 'NO_MECHANISM', noStartTls: true }),
  'smtp-auth-disabled-tenant': () => mail('smtp', 'authenticate', smtpReply('AUTH', '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.')),
  'smtp-auth-disabled-mailbox': () => mail('smtp', 'authenticate', smtpReply('AUTH', '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.')),
  'smtp-security-defaults': () => mail('smtp', 'authenticate', smtpReply('AUTH', "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator.")),
  'smtp-conditional-access': () => mail('smtp', 'authenticate', smtpReply('AUTH', '535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.')),
  'smtp-basic-auth-disabled': () => mail('smtp', 'authenticate', smtpReply('AUTH', '550 5.7.30 Basic authentication is not supported for Client Submission.')),
  'smtp-auth-rejected-service-principal': () => mail('smtp', 'authenticate', smtpReply('AUTH', '535 5.7.3 Authentication unsuccessful')),
  'smtp-auth-rejected': () => mail('smtp', 'authenticate', smtpReply('AUTH', '535 5.7.3 Authentication unsuccessful'), { roles: [] }),
  'smtp-unrecognized-auth': () => mail('smtp', 'authenticate', smtpReply('AUTH', '504 5.7.4 Unrecognized authentication type')),
  'smtp-not-authenticated': () => mail('smtp', 'mailbox', { authenticated: true, ...smtpReply('MAIL FROM', '530 5.7.57 Client not authenticated to send mail.') }),
  'smtp-send-as-denied': () => mail('smtp', 'mailbox', { authenticated: true, ...smtpReply('.', '554 5.2.252 SendAsDenied; <mailbox> not allowed to send as <mailbox>; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied') }),
  'smtp-envelope-refused': () => mail('smtp', 'mailbox', { authenticated: true, ...smtpReply('RCPT TO', '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup') }),
};
