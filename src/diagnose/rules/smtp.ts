// What an SMTP AUTH (client submission) exchange shows, worded from Exchange Online's replies.
// The strings and where they were checked: src/sandbox/smtp-server.ts (file header) and README.
import { cloudOf } from '../cloud.js';
import * as mps from '../mail-powershell.js';
import * as ps from '../powershell.js';
import type { DiagnosisContext, Rule } from '../types.js';
import { claimsLookGoodFor, ev, failedAt, lines, protocolOf, wireRules } from './wire.js';

const reply = (ctx: DiagnosisContext) => (protocolOf(ctx) === 'smtp' ? ev(ctx)?.smtpReply : undefined);
const text = (ctx: DiagnosisContext) => reply(ctx)?.text ?? '';
const at = (ctx: DiagnosisContext, stage: string, test: (ctx: DiagnosisContext) => boolean) => !!reply(ctx) && failedAt(ctx, stage) && test(ctx);
const shown = (ctx: DiagnosisContext) => `${reply(ctx)!.code} ${reply(ctx)!.text}`.replace(/\s*\[[^\]]*\]\s*$/, '');
const psValues = (ctx: DiagnosisContext): ps.PsValues => ({
  clientId: ctx.token.claims?.appid ?? ctx.token.claims?.azp ?? ctx.clientId,
  servicePrincipalId: ctx.token.claims?.oid,
  tenant: ctx.token.claims?.tid ?? ctx.tenant,
  mailbox: ctx.user,
});
const connect = (ctx: DiagnosisContext) => `  ${ps.connectCommand(psValues(ctx).tenant, cloudOf(ctx).exchangeEnvironment)}`;
const is5739 = (ctx: DiagnosisContext, re: RegExp) => reply(ctx)?.enhanced === '5.7.139' && re.test(text(ctx));
const DOCS = 'https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission';

export const smtpRules: Rule[] = [
  ...wireRules('smtp'),
  {
    id: 'smtp-no-starttls',
    stage: 'capability',
    keys: ['STARTTLS'],
    applies: (ctx) => protocolOf(ctx) === 'smtp' && failedAt(ctx, 'capability') && !!ev(ctx)?.noStartTls,
    diagnose: (ctx) => ({
      summary: `${ctx.probe!.host}:${ctx.probe!.port} does not offer STARTTLS: nothing was authenticated`,
      cause: 'Without STARTTLS the token would cross the network in clear text, so the check stops before AUTH. Exchange Online offers STARTTLS on port 587; a server (or a proxy that strips STARTTLS) without it is not client submission as Exchange does it.',
      fix: 'Use --host smtp.office365.com --port 587; if that is the host already, look for a firewall or proxy that rewrites SMTP (it removes STARTTLS from EHLO).',
    }),
  },
  {
    id: 'smtp-auth-disabled-tenant',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['5.7.139', 'SmtpClientAuthentication is disabled for the Tenant', 'Set-TransportConfig'],
    applies: (ctx) => at(ctx, 'authenticate', (c) => is5739(c, /disabled for the Tenant/i)),
    diagnose: (ctx) => ({
      summary: 'SMTP AUTH is turned off for the organization: 535 5.7.139 … SmtpClientAuthentication is disabled for the Tenant',
      cause: 'Exchange Online has SMTP AUTH (client submission) disabled organization-wide, and this mailbox has no setting of its own that overrides it. The token was not even looked at.',
      fix: lines(
        'Better, per mailbox (the mailbox setting overrides the organization\'s, and SMTP AUTH stays off for everyone else), in Exchange Online PowerShell:',
        connect(ctx),
        `  ${mps.enableSmtpAuthMailbox(ctx.user)}`,
        `  ${mps.getSmtpAuthMailbox(ctx.user)}`,
        'Or for the whole organization:',
        `  ${mps.enableSmtpAuthTenant}`,
        ps.PROPAGATION_NOTE,
      ),
      docs: DOCS,
    }),
  },
  {
    id: 'smtp-auth-disabled-mailbox',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['5.7.139', 'SmtpClientAuthentication is disabled for the Mailbox', 'Set-CASMailbox'],
    applies: (ctx) => at(ctx, 'authenticate', (c) => is5739(c, /disabled for the Mailbox/i)),
    diagnose: (ctx) => ({
      summary: `SMTP AUTH is turned off for ${ctx.user}: 535 5.7.139 … SmtpClientAuthentication is disabled for the Mailbox`,
      cause: 'The mailbox has SmtpClientAuthenticationDisabled set, which wins over the organization\'s setting.',
      fix: lines('In Exchange Online PowerShell:', connect(ctx), `  ${mps.enableSmtpAuthMailbox(ctx.user)}`, `  ${mps.getSmtpAuthMailbox(ctx.user)}`, ps.PROPAGATION_NOTE),
      docs: DOCS,
    }),
  },
  {
    id: 'smtp-security-defaults',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['5.7.139', 'security defaults'],
    applies: (ctx) => at(ctx, 'authenticate', (c) => is5739(c, /security defaults/i)),
    diagnose: () => ({
      summary: "SMTP AUTH is blocked by the tenant's security defaults: 535 5.7.139 … locked by your organization's security defaults policy",
      cause: 'With Entra ID security defaults on, Exchange refuses SMTP AUTH whatever the mailbox and transport settings say.',
      fix: 'Entra admin center → Identity → Overview → Properties → Manage security defaults: turn them off only after Conditional Access policies replace them (an exclusion for this app or mailbox), or send with Microsoft Graph instead of SMTP AUTH.',
    }),
  },
  {
    id: 'smtp-conditional-access',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['5.7.139', 'did not meet the criteria', 'Conditional Access', 'MFA'],
    applies: (ctx) => at(ctx, 'authenticate', (c) => is5739(c, /did not meet the criteria/i)),
    diagnose: () => ({
      summary: 'A sign-in policy refused SMTP AUTH: 535 5.7.139 … the request did not meet the criteria to be authenticated successfully',
      cause: 'A Conditional Access policy (MFA, a location or device rule, "block legacy authentication") applies to this sign-in. An app-only token cannot satisfy MFA.',
      fix: 'Entra admin center → Protection → Conditional Access → Sign-in logs for this app or mailbox: find the policy that failed and exclude this app (workload identity) or mailbox from it.',
    }),
  },
  {
    id: 'smtp-basic-auth-disabled',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['5.7.30', 'Basic authentication is not supported', 'basic authentication is disabled'],
    applies: (ctx) => at(ctx, 'authenticate', (c) => reply(c)?.enhanced === '5.7.30' || is5739(c, /basic authentication is disabled/i)),
    diagnose: (ctx) => ({
      summary: `Exchange refused a password login: ${shown(ctx)}`,
      cause: 'Basic authentication (AUTH LOGIN/PLAIN with a password) is retired for client submission; only OAuth (XOAUTH2) is accepted. Something between this tool and Exchange replaced the login, or the server is not Exchange Online.',
      fix: 'Log in with XOAUTH2 (this tool\'s default); apps that still send a password must move to OAuth 2.0 or Microsoft Graph.',
    }),
  },
  {
    id: 'smtp-auth-rejected-service-principal',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['535 5.7.3', 'Authentication unsuccessful', 'New-ServicePrincipal', 'SMTP.SendAsApp'],
    applies: (ctx) => at(ctx, 'authenticate', (c) => reply(c)!.code === 535 && reply(c)!.enhanced !== '5.7.139' && !ev(c)?.saslChallenge && claimsLookGoodFor(c, 'smtp')),
    diagnose: (ctx) => {
      const v = psValues(ctx);
      return {
        summary: 'Exchange Online rejected a good-looking token: 535 5.7.3 Authentication unsuccessful',
        cause: "The token is for Exchange Online and carries SMTP.SendAsApp, so the refusal is Exchange's: the app's service principal is not registered in Exchange (or with the App registration's object ID instead of the Enterprise application's), it has no permission on this mailbox, or SMTP AUTH is not allowed for it.",
        fix: lines(
          'In Exchange Online PowerShell:',
          connect(ctx),
          `  ${ps.getServicePrincipal(v)}`,
          `  ${ps.newServicePrincipal(v)}`,
          `  ${ps.addMailboxPermission(v)}`,
          `  ${mps.addSendAs(v)}`,
          `  ${mps.getSmtpAuthMailbox(ctx.user)}`,
          '(Or, with Exchange Online App RBAC: New-ManagementRoleAssignment -App <service-principal> -Role "Application SMTP.SendAsApp", scoped to the mailboxes it may send as.)',
          !v.servicePrincipalId && ps.SP_OBJECT_ID_HINT,
          ps.PROPAGATION_NOTE,
        ),
      };
    },
  },
  {
    id: 'smtp-auth-rejected',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['535', 'Authentication unsuccessful'],
    applies: (ctx) => at(ctx, 'authenticate', (c) => reply(c)!.code === 535 && reply(c)!.enhanced !== '5.7.139' && !ev(c)?.saslChallenge && !claimsLookGoodFor(c, 'smtp')),
    diagnose: (ctx) => ({
      summary: `Exchange rejected the login: ${shown(ctx)}`,
      cause: ctx.token.claims ? 'The token findings above explain the most likely reason.' : 'The token could not be decoded, so it cannot be checked here.',
      fix: 'Fix the token findings above, then run again.',
    }),
  },
  {
    id: 'smtp-unrecognized-auth',
    stage: 'authenticate',
    keys: ['504 5.7.4', 'Unrecognized authentication type'],
    applies: (ctx) => at(ctx, 'authenticate', (c) => reply(c)!.code === 504 || reply(c)!.enhanced === '5.7.4'),
    diagnose: (ctx) => ({
      summary: `The server does not accept this AUTH mechanism: ${shown(ctx)}`,
      cause: 'Exchange says this when AUTH comes before STARTTLS (it offers no mechanism on a plain connection) or names a mechanism it does not offer (it has XOAUTH2 and LOGIN only).',
      fix: 'Use XOAUTH2 (the default) after STARTTLS, on smtp.office365.com port 587.',
    }),
  },
  {
    id: 'smtp-not-authenticated',
    stage: 'mailbox',
    keys: ['530 5.7.57', 'Client not authenticated'],
    applies: (ctx) => protocolOf(ctx) === 'smtp' && !!reply(ctx) && (reply(ctx)!.enhanced === '5.7.57' || reply(ctx)!.code === 530),
    diagnose: (ctx) => ({
      summary: `Exchange does not consider the session logged in: ${shown(ctx)}`,
      cause: 'MAIL FROM (or RCPT/DATA) came without a successful AUTH on this connection: the login was skipped or failed earlier, or something in between ended the TLS session and started a new one.',
      fix: 'Log in with AUTH XOAUTH2 after STARTTLS on the same connection; if this tool reports AUTH accepted and still gets 5.7.57, run with --verbose and check for a proxy between here and Exchange.',
    }),
  },
  {
    id: 'smtp-send-as-denied',
    onlyFor: 'entra',
    stage: 'mailbox',
    keys: ['SendAsDenied', '5.2.252', '5.7.60', 'Add-RecipientPermission', 'SendAs'],
    applies: (ctx) => at(ctx, 'mailbox', (c) => /SendAsDenied/i.test(text(c)) || reply(c)!.enhanced === '5.7.60'),
    diagnose: (ctx) => {
      const v = psValues(ctx);
      return {
        summary: `Exchange will not send as ${ctx.user}: ${shown(ctx).slice(0, 120)}`,
        cause: `The login worked, but the app (or user) may not send as ${ctx.user}: it needs the SendAs permission on that mailbox${reply(ctx)!.command === '.' ? ' — Exchange checks it only once the message is submitted, after DATA, which is why only --send-test shows it' : ''}.`,
        fix: lines('In Exchange Online PowerShell:', connect(ctx), `  ${mps.addSendAs(v)}`, `  Get-RecipientPermission -Identity ${ps.psQuote(ctx.user)}`, !v.servicePrincipalId && ps.SP_OBJECT_ID_HINT, ps.PROPAGATION_NOTE),
      };
    },
  },
  {
    id: 'smtp-envelope-refused',
    stage: 'mailbox',
    keys: ['MAIL FROM', 'RCPT TO', 'DATA'],
    applies: (ctx) => at(ctx, 'mailbox', (c) => !/SendAsDenied/i.test(text(c)) && !['5.7.60', '5.7.57'].includes(reply(c)!.enhanced ?? '') && reply(c)!.code !== 530),
    diagnose: (ctx) => ({
      summary: `Logged in, but ${reply(ctx)!.command} was refused: ${shown(ctx)}`,
      cause: `AUTH succeeded; the server refused the ${reply(ctx)!.command === 'RCPT TO' ? 'recipient' : reply(ctx)!.command === 'MAIL FROM' ? 'sender' : 'message'}. The reply text names the reason (a size or sending limit, an unknown recipient, a policy).`,
      fix: 'Check --user (the sender, the mailbox\'s primary SMTP address) and the --send-test recipient; the reply\'s status code is listed in Exchange Online\'s NDR reference.',
    }),
  },
];
