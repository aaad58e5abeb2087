import { CLOUDS, type Cloud } from '../config/clouds.js';
import type { DiagnosisContext } from './types.js';

/**
 * The resource a scope is for: `https://outlook.office365.com/.default` and
 * `https://outlook.office.com/IMAP.AccessAsUser.All` name https://outlook.office365.com and
 * https://outlook.office.com; a scope without a path (or a bare permission) is returned as it is.
 */
export const resourceOf = (scope: string): string => /^([a-z][a-z0-9+.-]*:\/\/[^/]+.*?)\/[^/]*$/i.exec(scope)?.[1] ?? scope;

/** The cloud whose hosts and scopes a fix names. */
export const cloudOf = (ctx: Pick<DiagnosisContext, 'cloud'>): Cloud => CLOUDS[ctx.cloud ?? 'global'];

/** "Exchange Online" or, in a national cloud, "Exchange Online (Microsoft 365 GCC High …)". */
export const exchangeName = (ctx: Pick<DiagnosisContext, 'cloud'>): string =>
  ctx.cloud && ctx.cloud !== 'global' ? `Exchange Online (${cloudOf(ctx).label})` : 'Exchange Online';

/** Where the IMAP server should be, for a fix: the cloud's Exchange Online, or any server's usual port. */
export const imapServerHint = (ctx: Pick<DiagnosisContext, 'cloud' | 'authMode'>): string =>
  ctx.authMode === 'generic'
    ? 'IMAP over TLS is port 993 on most servers, plain IMAP with STARTTLS port 143 (--starttls); Gmail is --host imap.gmail.com --port 993'
    : `${exchangeName(ctx)}: --host ${cloudOf(ctx).imapHost} --port 993`;

/** The host name to expect, for a fix. */
export const imapHostHint = (ctx: Pick<DiagnosisContext, 'cloud' | 'authMode'>): string =>
  ctx.authMode === 'generic' ? "the provider's IMAP host name, e.g. Gmail: imap.gmail.com" : `${exchangeName(ctx)}: ${cloudOf(ctx).imapHost}`;
