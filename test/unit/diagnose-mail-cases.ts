// Diagnosis cases for POP3 and SMTP AUTH probes, with Exchange's own replies: each rule of
// rules/pop.ts, rules/smtp.ts and rules/wire.ts fires on its evidence with the user's values.
import type { ProbeEvidence, StageName } from '../../src/imap/types.js';
import type { TokenClaims } from '../../src/token/claims.js';
import { CLIENT, OID, TENANT, USER, ctx, goodToken, probe, type Case } from './diagnose-fixtures.js';

const ROLES = ['IMAP.AccessAsApp', 'POP.AccessAsApp', 'SMTP.SendAsApp'];
const PORT = { pop: 995, smtp: 587 } as const;

function mail(p: 'pop' | 'smtp', stage: StageName, evidence: Partial<ProbeEvidence>, claims: Partial<TokenClaims> = {}) {
  return ctx({ host: p === 'smtp' ? 'smtp.office365.com' : 'outlook.office365.com', token: goodToken({ roles: ROLES, ...claims }), probe: probe(stage, { protocol: p, capabilities: undefined, greeting: undefined, ...evidence }, PORT[p]) });
}

function smtp(stage: StageName, command: string, line: string, claims: Partial<TokenClaims> = {}) {
  const m = /^(\d{3}) (([245]\.\d+\.\d+)\b.*)$/.exec(line)!;
  return mail('smtp', stage, { authenticated: stage === 'mailbox', serverResponse: line, smtpReply: { command, code: Number(m[1]), enhanced: m[3], text: m[2]! } }, claims);
}

const TRAILER = ' [MN2PR05CA0004.namprd05.prod.outlook.com 2023-09-12T20:59:57.214Z 08DBB276B7E699C4]';
const POP_FAILED = 'Authentication failure: unknown user name or bad password.';

const perProtocol = (p: 'pop' | 'smtp'): Case[] => [
  { name: `${p}: timeout at connect`, ctx: mail(p, 'connect', { timedOut: 'connect' }), id: `${p}-timeout`, fix: [String(PORT[p])] },
  { name: `${p}: DNS`, ctx: mail(p, 'connect', { errorCode: 'ENOTFOUND' }), id: `${p}-dns`, fix: [p === 'smtp' ? 'smtp.office365.com' : 'outlook.office365.com'] },
  { name: `${p}: refused`, ctx: mail(p, 'connect', { errorCode: 'ECONNREFUSED' }), id: `${p}-refused`, fix: [`--port ${PORT[p]}`] },
  { name: `${p}: wrong certificate name`, ctx: mail(p, p === 'smtp' ? 'capability' : 'connect', { errorCode: 'ERR_TLS_CERT_ALTNAME_INVALID', tlsFailure: { code: 'ERR_TLS_CERT_ALTNAME_INVALID', peer: { subject: 'CN=proxy', issuer: 'CN=Corp CA', validFrom: 'a', validTo: 'b' } } }), id: `${p}-tls-untrusted`, summary: [/TLS verification failed/], cause: ['CN=Corp CA'] },
  { name: `${p}: not the protocol`, ctx: mail(p, 'connect', { errorCode: 'NOT_SMTP', notImap: { firstLine: '* OK IMAP ready' } }), id: `${p}-not-${p}`, cause: ['* OK IMAP ready'] },
  { name: `${p}: dropped mid-auth`, ctx: mail(p, 'authenticate', { errorCode: 'ECONNCLOSED', errorMessage: 'the server closed the connection', connectionLost: true }), id: `${p}-connection-lost` },
  { name: `${p}: OAUTHBEARER not offered`, ctx: mail(p, 'capability', { errorCode: 'NO_MECHANISM', mechanism: 'OAUTHBEARER' }), id: `${p}-no-mechanism`, fix: ['--mech oauthbearer'] },
  { name: `${p}: error challenge`, ctx: mail(p, 'authenticate', { saslChallenge: { status: '401' }, serverResponse: 'Authentication failed.' }), id: `${p}-sasl-error-challenge` },
  {
    name: `${p}: app-only token without the protocol's role`,
    ctx: mail(p, 'authenticate', p === 'smtp' ? { serverResponse: `535 5.7.3 Authentication unsuccessful${TRAILER}`, smtpReply: { command: 'AUTH', code: 535, enhanced: '5.7.3', text: `5.7.3 Authentication unsuccessful${TRAILER}` } } : { serverResponse: POP_FAILED }, { roles: ['IMAP.AccessAsApp'] }),
    id: `${p}-token-missing-role`,
    sole: false,
    summary: [p === 'smtp' ? 'SMTP.SendAsApp' : 'POP.AccessAsApp'],
  },
  {
    name: `${p}: delegated token without the protocol's scope`,
    ctx: { ...mail(p, 'authenticate', { serverResponse: 'refused' }, { aud: 'https://outlook.office.com', scp: 'IMAP.AccessAsUser.All', roles: undefined }), credential: 'device-code' },
    id: `${p}-token-missing-scope`,
    sole: false,
    summary: [p === 'smtp' ? 'SMTP.Send' : 'POP.AccessAsUser.All'],
  },
];

export const MAIL_CASES: Case[] = [
  ...perProtocol('pop'),
  ...perProtocol('smtp'),
  // POP3
  { name: 'pop: -ERR Authentication failure with a good token', ctx: mail('pop', 'authenticate', { serverResponse: POP_FAILED }), id: 'pop-auth-rejected-service-principal', fix: [CLIENT, OID, TENANT, USER, 'New-ServicePrincipal', 'Add-MailboxPermission', `Set-CASMailbox -Identity '${USER}' -PopEnabled $true`] },
  { name: 'pop: -ERR with a token without POP.AccessAsApp', ctx: mail('pop', 'authenticate', { serverResponse: POP_FAILED }, { roles: [] }), id: 'pop-auth-rejected', sole: false },
  { name: 'pop: -ERR Protocol error (one-line AUTH)', ctx: mail('pop', 'authenticate', { serverResponse: 'Protocol error. Connection is closed. 10' }), id: 'pop-auth-rejected', cause: [/Protocol error/] },
  { name: 'pop: STAT refused', ctx: mail('pop', 'mailbox', { authenticated: true, serverResponse: 'Command is not valid in this state.' }), id: 'pop-mailbox-failed', fix: ['-PopEnabled $true'] },
  // SMTP
  { name: 'smtp: no STARTTLS', ctx: mail('smtp', 'capability', { errorCode: 'NO_MECHANISM', noStartTls: true }), id: 'smtp-no-starttls', cause: [/clear text/] },
  {
    name: 'smtp: 535 5.7.139 disabled for the Tenant',
    ctx: smtp('authenticate', 'AUTH', `535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.${TRAILER}`),
    id: 'smtp-auth-disabled-tenant',
    fix: ['Set-TransportConfig -SmtpClientAuthenticationDisabled $false', `Set-CASMailbox -Identity '${USER}' -SmtpClientAuthenticationDisabled $false`, TENANT],
  },
  {
    name: 'smtp: 535 5.7.139 disabled for the Mailbox',
    ctx: smtp('authenticate', 'AUTH', `535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.${TRAILER}`),
    id: 'smtp-auth-disabled-mailbox',
    fix: [`Set-CASMailbox -Identity '${USER}' -SmtpClientAuthenticationDisabled $false`],
    fixNot: ['Set-TransportConfig'],
  },
  { name: 'smtp: security defaults', ctx: smtp('authenticate', 'AUTH', `535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator.${TRAILER}`), id: 'smtp-security-defaults', fix: [/security defaults/i] },
  { name: 'smtp: conditional access', ctx: smtp('authenticate', 'AUTH', `535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.${TRAILER}`), id: 'smtp-conditional-access', fix: ['Conditional Access'] },
  { name: 'smtp: 550 5.7.30 basic auth', ctx: smtp('authenticate', 'AUTH', '550 5.7.30 Basic authentication is not supported for Client Submission.'), id: 'smtp-basic-auth-disabled' },
  { name: 'smtp: 535 5.7.139 basic authentication is disabled', ctx: smtp('authenticate', 'AUTH', '535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [BM1P287CA0015.INDP287.PROD.OUTLOOK.COM]'), id: 'smtp-basic-auth-disabled' },
  {
    name: 'smtp: 535 5.7.3 with a good token',
    ctx: smtp('authenticate', 'AUTH', `535 5.7.3 Authentication unsuccessful${TRAILER}`),
    id: 'smtp-auth-rejected-service-principal',
    fix: [CLIENT, OID, 'New-ServicePrincipal', 'Add-MailboxPermission', `Add-RecipientPermission -Identity '${USER}' -Trustee '${OID}' -AccessRights SendAs`, 'SMTP.SendAsApp'],
  },
  { name: 'smtp: 535 5.7.3 with a Graph token', ctx: smtp('authenticate', 'AUTH', '535 5.7.3 Authentication unsuccessful', { aud: 'https://graph.microsoft.com' }), id: 'smtp-auth-rejected', sole: false },
  { name: 'smtp: 504 5.7.4', ctx: smtp('authenticate', 'AUTH', '504 5.7.4 Unrecognized authentication type'), id: 'smtp-unrecognized-auth', fix: ['STARTTLS'] },
  { name: 'smtp: 530 5.7.57', ctx: smtp('mailbox', 'MAIL FROM', '530 5.7.57 Client not authenticated to send mail.'), id: 'smtp-not-authenticated' },
  {
    name: 'smtp: SendAsDenied after DATA',
    ctx: smtp('mailbox', '.', `554 5.2.252 SendAsDenied; ${USER} not allowed to send as ${USER}; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message.`),
    id: 'smtp-send-as-denied',
    cause: ['after DATA'],
    fix: [`Add-RecipientPermission -Identity '${USER}' -Trustee '${OID}' -AccessRights SendAs`],
  },
  { name: 'smtp: 550 5.7.60 at MAIL FROM', ctx: smtp('mailbox', 'MAIL FROM', '550 5.7.60 SMTP; Client does not have permissions to send as this sender'), id: 'smtp-send-as-denied' },
  { name: 'smtp: recipient refused', ctx: smtp('mailbox', 'RCPT TO', '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'), id: 'smtp-envelope-refused', summary: ['RCPT TO'] },
];
