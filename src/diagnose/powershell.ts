// Exchange Online PowerShell, filled in with the user's real values. Placeholders remain only
// where the value cannot be known from the evidence, and say where to find it.
//
// The values come from a token's claims (oid, tid, appid), which anyone who can mint or edit a
// token controls, and are printed for an administrator to paste. So: a value that must be a GUID
// enters a command only if it is one (else a placeholder); every other value is a single-quoted
// literal with all of PowerShell's single-quote characters doubled; no double-quoted string holds
// a value (`$`, backtick and the “ ” „ quotes are live there).
import { isGuid, tenant as validTenant } from '../config/validate.js';

export interface PsValues {
  clientId?: string;
  /** Object ID of the enterprise application (service principal), e.g. the token's oid. */
  servicePrincipalId?: string;
  /**
   * A PowerShell variable used verbatim (never quoted) in place of servicePrincipalId, e.g. the
   * script variable `$ServiceId`. Takes precedence over servicePrincipalId.
   */
  servicePrincipalExpr?: string;
  tenant?: string;
  mailbox: string;
}

/**
 * PowerShell reads U+2018–U+201B as single quotes too (‘ ’ ‚ ‛), so a claim holding `’; Remove-Mailbox …; ‘`
 * would end a literal quoted with only `'` in mind. Inside a single-quoted string each of them is
 * doubled, and nothing else is special.
 */
const SINGLE_QUOTES = /['\u2018\u2019\u201a\u201b]/g;

/** A PowerShell single-quoted string literal: every single-quote character inside is doubled. */
export function psQuote(s: string): string {
  return `'${s.replace(SINGLE_QUOTES, (m) => m + m)}'`;
}

/** A script variable such as `$ServiceId`; anything else is a programming error, not data. */
const VARIABLE = /^\$[A-Za-z_][A-Za-z0-9_]*$/;

/** Nothing a reader could misread: no control, format (bidi), separator or unassigned characters, no spaces. */
const PLAIN = /^[^\s\p{C}]+$/u;

const fitTenant = (value: string) => {
  try {
    validTenant(value);
    return true;
  } catch {
    return false;
  }
};

const guidOr = (value: string | undefined, placeholder: string) => (value && isGuid(value) ? psQuote(value) : placeholder);
const tenantOr = (value: string | undefined, placeholder: string) => (value && fitTenant(value) ? psQuote(value) : placeholder);
export const mailboxArg = (value: string) => (PLAIN.test(value) ? psQuote(value) : '<mailbox-address>');
export const spId = (v: PsValues) => {
  if (v.servicePrincipalExpr !== undefined) {
    if (!VARIABLE.test(v.servicePrincipalExpr)) throw new Error('servicePrincipalExpr must be a PowerShell variable name');
    return v.servicePrincipalExpr;
  }
  return guidOr(v.servicePrincipalId, '<enterprise-app-object-id>');
};

/** Where a value came from, for the note that says why it was left out, e.g. "the token's oid". */
export interface Sourced {
  value?: string;
  from: string;
}

/**
 * Checks values taken from a token or a server before they go into commands: what does not have
 * the shape it must have is dropped (the commands then show a placeholder), and `leftOut` says,
 * one line each, what was dropped and why. The value itself is not repeated there.
 */
export function checkedValues(raw: { clientId: Sourced; servicePrincipalId: Sourced; tenant: Sourced; mailbox: string }): PsValues & { leftOut: string[] } {
  const leftOut: string[] = [];
  const keep = (s: Sourced, ok: (value: string) => boolean, what: string, placeholder: string) => {
    if (!s.value) return undefined;
    if (ok(s.value)) return s.value;
    leftOut.push(`(${capitalise(s.from)} is not ${what}, so the commands show ${placeholder} in its place: a malformed value is never put into a command.)`);
    return undefined;
  };
  const values: PsValues & { leftOut: string[] } = {
    clientId: keep(raw.clientId, isGuid, 'a GUID', '<application-client-id>'),
    servicePrincipalId: keep(raw.servicePrincipalId, isGuid, 'a GUID', '<enterprise-app-object-id>'),
    tenant: keep(raw.tenant, fitTenant, 'a tenant GUID or domain name', '<tenant-id>'),
    mailbox: raw.mailbox,
    leftOut,
  };
  if (!PLAIN.test(raw.mailbox)) leftOut.push('(The mailbox name has spaces or control characters, so the commands show <mailbox-address> in its place.)');
  return values;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const PROPAGATION_NOTE = 'Changes can take up to about 30 minutes to reach the Exchange Online servers: wait, then run the check again.';

/** -ExchangeEnvironmentName values (O365USGovGCCHigh, …) come from the cloud table: a word, or nothing. */
const ENVIRONMENT = /^[A-Za-z0-9]+$/;

/**
 * `exchangeEnvironment`: -ExchangeEnvironmentName of a national cloud (O365USGovGCCHigh, …). Without a
 * tenant, -Organization has a placeholder, or is left out (the admin's own tenant) with `placeholder: false`.
 */
export function connectCommand(tenant?: string, exchangeEnvironment?: string, opts: { placeholder?: boolean } = {}): string {
  const organization = tenant || opts.placeholder !== false ? ` -Organization ${tenantOr(tenant, '<tenant-id>')}` : '';
  const environment = exchangeEnvironment && ENVIRONMENT.test(exchangeEnvironment) ? ` -ExchangeEnvironmentName ${exchangeEnvironment}` : '';
  return `Connect-ExchangeOnline${environment}${organization}`;
}

export function newServicePrincipal(v: PsValues): string {
  const organization = v.tenant && fitTenant(v.tenant) ? ` -Organization ${psQuote(v.tenant)}` : '';
  return `New-ServicePrincipal -AppId ${guidOr(v.clientId, '<application-client-id>')} -ServiceId ${spId(v)}${organization}`;
}

export function addMailboxPermission(v: PsValues): string {
  return `Add-MailboxPermission -Identity ${mailboxArg(v.mailbox)} -User ${spId(v)} -AccessRights FullAccess`;
}

export function getServicePrincipal(v: PsValues): string {
  return v.clientId && isGuid(v.clientId) ? `Get-ServicePrincipal | Where-Object AppId -eq ${psQuote(v.clientId)} | Format-List` : 'Get-ServicePrincipal | Format-List';
}

export function getMailboxPermission(v: PsValues): string {
  const user = v.servicePrincipalExpr !== undefined || (v.servicePrincipalId && isGuid(v.servicePrincipalId)) ? ` -User ${spId(v)}` : '';
  return `Get-MailboxPermission -Identity ${mailboxArg(v.mailbox)}${user}`;
}

export function setCasMailboxImap(mailbox: string): string {
  return `Set-CASMailbox -Identity ${mailboxArg(mailbox)} -ImapEnabled $true`;
}

export function getCasMailboxImap(mailbox: string): string {
  return `Get-CASMailbox -Identity ${mailboxArg(mailbox)} | Format-List ImapEnabled`;
}

export const SP_OBJECT_ID_HINT =
  "The object ID is the Enterprise application's (Entra admin center → Enterprise applications → your app → Object ID), not the App registration's.";

/**
 * Microsoft Graph PowerShell expression for the object ID of the app's service principal (its
 * Enterprise application) in the signed-in tenant; empty when the tenant has none. The filter is a
 * double-quoted string (Graph wants the GUID in single quotes), so clientId must be a GUID: it is
 * checked here, not trusted.
 */
export function getMgServicePrincipalId(clientId: string): string {
  if (!isGuid(clientId)) throw new Error('getMgServicePrincipalId needs a GUID');
  return `(Get-MgServicePrincipal -Filter "appId eq ${psQuote(clientId)}").Id`;
}
