// A user's (delegated) token, or an opaque one, refused by Exchange Online: what the server's answer
// means depends on whose token it is and whose mailbox was asked for. These rules come first and
// replace the app-only readings (service principal, FullAccess for an app) they would only guess at.
import { cloudOf } from '../cloud.js';
import * as ps from '../powershell.js';
import type { DiagnosisContext, Rule } from '../types.js';
import { inMode } from '../types.js';
import { claimRules, IMAP_USER_SCOPE, tokenUser } from './claims.js';

const ev = (ctx: DiagnosisContext) => ctx.probe?.evidence;
const claims = (ctx: DiagnosisContext) => (ctx.token.ok ? ctx.token.claims : undefined);
const lines = (...xs: (string | false | undefined)[]) => xs.filter(Boolean).join('\n');
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
/** A value that goes into a command only when a reader cannot misread it (no spaces or control characters). */
const arg = (value: string, placeholder: string) => (/^[^\s\p{C}]+$/u.test(value) ? ps.psQuote(value) : placeholder);
const tenantOf = (ctx: DiagnosisContext) => claims(ctx)?.tid ?? ctx.tenant;

/** Exchange refused the login or the mailbox: NO/BAD to AUTHENTICATE, or "not connected" / BYE after it. */
function refused(ctx: DiagnosisContext): boolean {
  const e = ev(ctx);
  if (!ctx.probe || ctx.probe.ok || !e || e.timedOut || e.saslChallenge) return false;
  if (ctx.probe.failedStage === 'authenticate') return !!e.serverResponse && e.serverStatus !== 'BAD';
  if (ctx.probe.failedStage === 'mailbox') return /authenticated but not connected/i.test(e.serverResponse ?? '') || (!!e.bye && e.authenticated);
  return false;
}
const notConnected = (ctx: DiagnosisContext) => /authenticated but not connected/i.test(ev(ctx)?.serverResponse ?? '');
const answer = (ctx: DiagnosisContext) =>
  ev(ctx)?.bye ? `BYE ${ev(ctx)!.bye}` : `${notConnected(ctx) ? 'OK to AUTHENTICATE, then ' : ''}${ev(ctx)?.serverStatus ?? ''} ${ev(ctx)?.serverResponse ?? ''}`.replace(/\s+/g, ' ').trim();

/** The delegated token's user, when it differs from the mailbox asked for. */
function otherUser(ctx: DiagnosisContext): string | undefined {
  const c = claims(ctx);
  const owner = c?.scp ? tokenUser(c) : undefined;
  return owner && !same(owner, ctx.user) ? owner : undefined;
}

/** No claim finding explains the refusal (expired, wrong audience, no scope…); "delegated" alone does not. */
const claimsExplainNothing = (ctx: DiagnosisContext) => !claimRules.some((r) => r.id !== 'token-delegated' && inMode(r, ctx) && r.applies(ctx));

const APP_ONLY_READINGS = ['imap-authenticated-not-connected', 'imap-auth-rejected', 'imap-auth-rejected-service-principal'];

export const delegatedRules: Rule[] = [
  {
    id: 'delegated-other-mailbox',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['token belongs to', 'shared mailbox', 'another user'],
    supersedes: [...APP_ONLY_READINGS, 'token-delegated', 'imap-bye'],
    applies: (ctx) => refused(ctx) && !!otherUser(ctx),
    diagnose: (ctx) => {
      const owner = otherUser(ctx)!;
      const env = cloudOf(ctx).exchangeEnvironment;
      return {
        summary: `The token belongs to ${owner}, the mailbox is ${ctx.user}`,
        cause: `Exchange answered ${answer(ctx)}: a delegated token opens only its own user's mailbox, or a mailbox that user has FullAccess on. Either the wrong account signed in (${owner} instead of ${ctx.user}), or ${ctx.user} is a shared (or another person's) mailbox on which ${owner} has no FullAccess.`,
        fix: lines(
          `If ${ctx.user} is the mailbox to open with its own account: sign in as ${ctx.user} (run again and pick that account at the sign-in page${ctx.credential === 'access-token-file' ? '; or get a new token for it' : ''}).`,
          `If ${ctx.user} is a shared mailbox ${owner} should open, give ${owner} FullAccess, in Exchange Online PowerShell:`,
          `  ${ps.connectCommand(tenantOf(ctx), env)}`,
          `  Add-MailboxPermission -Identity ${arg(ctx.user, '<mailbox-address>')} -User ${arg(owner, '<user-address>')} -AccessRights FullAccess -InheritanceType All`,
          `  Get-MailboxPermission -Identity ${arg(ctx.user, '<mailbox-address>')} -User ${arg(owner, '<user-address>')}`,
          ps.PROPAGATION_NOTE,
        ),
      };
    },
  },
  {
    id: 'delegated-own-mailbox-refused',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['IMAP disabled', 'ImapEnabled'],
    supersedes: APP_ONLY_READINGS,
    // The user's own mailbox and a token with the IMAP permission: the mailbox side is left.
    applies: (ctx) => {
      const c = claims(ctx);
      return refused(ctx) && !otherUser(ctx) && !!c?.scp && c.scp.split(' ').includes(IMAP_USER_SCOPE) && claimsExplainNothing(ctx);
    },
    diagnose: (ctx) => {
      const mailbox = arg(ctx.user, '<mailbox-address>');
      return {
        summary: `Exchange refused ${ctx.user}'s own token for its mailbox: ${answer(ctx)}`,
        cause: `The token is ${ctx.user}'s and carries ${IMAP_USER_SCOPE}, so the refusal is about the mailbox: IMAP is disabled for it (Set-CASMailbox -ImapEnabled), the user has no Exchange Online licence or mailbox yet, or user= is not the mailbox's primary address.`,
        fix: lines(
          'In Exchange Online PowerShell:',
          `  ${ps.connectCommand(tenantOf(ctx), cloudOf(ctx).exchangeEnvironment)}`,
          `  Get-EXOCASMailbox -Identity ${mailbox} | Format-List ImapEnabled`,
          `  Set-CASMailbox -Identity ${mailbox} -ImapEnabled $true`,
          `  Get-EXOMailbox -Identity ${mailbox} | Format-List PrimarySmtpAddress, RecipientTypeDetails`,
          ps.PROPAGATION_NOTE,
        ),
      };
    },
  },
  {
    id: 'imap-auth-rejected-opaque',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['outlook.com', 'hotmail.com', 'personal account'],
    supersedes: APP_ONLY_READINGS,
    applies: (ctx) => refused(ctx) && ctx.token.ok && !ctx.token.claims,
    diagnose: (ctx) => ({
      summary: `The server refused an opaque token for ${ctx.user}: ${answer(ctx)}`,
      cause: `An opaque token is what personal Microsoft accounts (outlook.com, hotmail.com) get; it cannot be read here, so only the server's answer tells. Exchange refuses it when it was issued for another account than user= (${ctx.user}), for another scope than ${cloudOf(ctx).delegatedScope}, when it has expired (about an hour), or when the app registration does not allow personal accounts.`,
      fix: lines(
        `Get a new token signed in as ${ctx.user} with --scope ${cloudOf(ctx).delegatedScope} (offline_access may be added): imap-oauth test --flow device-code --tenant consumers --client-id <client-id> --user ${ctx.user}.`,
        'The app registration must list personal Microsoft accounts under Authentication → Supported account types, and the delegated permission IMAP.AccessAsUser.All (Office 365 Exchange Online).',
      ),
    }),
  },
];
