// What a POP3 exchange shows. Exchange Online answers every refused OAuth login with one line,
// "-ERR Authentication failure: unknown user name or bad password." (Microsoft's "Authenticate an
// IMAP, POP or SMTP connection using OAuth"), whether the service principal is missing, has no
// permission on the mailbox, or POP is disabled for it: the fix lists all three.
import { cloudOf } from '../cloud.js';
import * as mps from '../mail-powershell.js';
import * as ps from '../powershell.js';
import type { DiagnosisContext, Rule } from '../types.js';
import { claimsLookGoodFor, ev, failedAt, lines, protocolOf, wireRules } from './wire.js';

const mine = (ctx: DiagnosisContext) => protocolOf(ctx) === 'pop';
const response = (ctx: DiagnosisContext) => (mine(ctx) ? ev(ctx)?.serverResponse : undefined);
const refused = (ctx: DiagnosisContext) => failedAt(ctx, 'authenticate') && !!response(ctx) && !ev(ctx)?.saslChallenge;
const psValues = (ctx: DiagnosisContext): ps.PsValues => ({
  clientId: ctx.token.claims?.appid ?? ctx.token.claims?.azp ?? ctx.clientId,
  servicePrincipalId: ctx.token.claims?.oid,
  tenant: ctx.token.claims?.tid ?? ctx.tenant,
  mailbox: ctx.user,
});

export const popRules: Rule[] = [
  ...wireRules('pop'),
  {
    id: 'pop-auth-rejected-service-principal',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['-ERR Authentication failure', 'unknown user name or bad password', 'PopEnabled'],
    applies: (ctx) => refused(ctx) && /Authentication failure/i.test(response(ctx)!) && claimsLookGoodFor(ctx, 'pop'),
    diagnose: (ctx) => {
      const v = psValues(ctx);
      return {
        summary: 'Exchange Online rejected a good-looking token: -ERR Authentication failure: unknown user name or bad password.',
        cause: `The token is for Exchange Online and carries ${ctx.token.claims?.scp ? 'POP.AccessAsUser.All' : 'POP.AccessAsApp'}, so the refusal is Exchange's. It says the same for three causes: the app's service principal is not registered in Exchange (or with the App registration's object ID), it has no FullAccess on ${ctx.user}, or POP is disabled for that mailbox.`,
        fix: lines(
          'In Exchange Online PowerShell:',
          `  ${ps.connectCommand(v.tenant, cloudOf(ctx).exchangeEnvironment)}`,
          `  ${ps.getServicePrincipal(v)}`,
          `  ${ps.newServicePrincipal(v)}`,
          `  ${ps.addMailboxPermission(v)}`,
          `  ${mps.getPopEnabled(ctx.user)}`,
          `  ${mps.setPopEnabled(ctx.user)}`,
          !v.servicePrincipalId && ps.SP_OBJECT_ID_HINT,
          ps.PROPAGATION_NOTE,
        ),
      };
    },
  },
  {
    id: 'pop-auth-rejected',
    stage: 'authenticate',
    keys: ['-ERR'],
    applies: (ctx) => refused(ctx) && !(ctx.authMode !== 'generic' && /Authentication failure/i.test(response(ctx)!) && claimsLookGoodFor(ctx, 'pop')),
    diagnose: (ctx) => ({
      summary: `The POP3 server rejected the login: -ERR ${response(ctx)}`,
      cause: /Protocol error/i.test(response(ctx)!)
        ? 'Exchange answers "Protocol error" to an AUTH line it cannot take (e.g. the SASL string on the same line as AUTH XOAUTH2): a proxy in between may be rewriting the exchange.'
        : ctx.token.claims ? 'The token findings above explain the most likely reason.' : 'The token could not be decoded, so it cannot be checked here.',
      fix: /Protocol error/i.test(response(ctx)!) ? 'Run again with --verbose to see the exchange; try from a network without a mail proxy.' : 'Fix the token findings above, then run again.',
    }),
  },
  {
    id: 'pop-mailbox-failed',
    stage: 'mailbox',
    keys: ['STAT', '-ERR'],
    applies: (ctx) => failedAt(ctx, 'mailbox') && !!response(ctx),
    diagnose: (ctx) => ({
      summary: `Logged in, but the mailbox did not open: -ERR ${response(ctx)}`,
      cause: `AUTH succeeded, then STAT was refused: the mailbox ${ctx.user} is being moved, locked by another POP session, or POP is disabled for it.`,
      fix: ctx.authMode === 'generic'
        ? 'Close other POP3 sessions on this mailbox and run again.'
        : lines('Close other POP3 sessions on this mailbox; check POP in Exchange Online PowerShell:', `  ${mps.getPopEnabled(ctx.user)}`, `  ${mps.setPopEnabled(ctx.user)}`, ps.PROPAGATION_NOTE),
    }),
  },
];
