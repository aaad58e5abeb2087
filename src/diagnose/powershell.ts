// Exchange Online PowerShell, filled in with the user's real values. Placeholders remain only
// where the value cannot be known from the evidence, and say where to find it.
export interface PsValues {
  clientId?: string;
  /** Object ID of the enterprise application (service principal), e.g. the token's oid. */
  servicePrincipalId?: string;
  /**
   * A PowerShell expression used verbatim (never quoted) in place of servicePrincipalId, e.g. a
   * script variable such as `$ServiceId`. Takes precedence over servicePrincipalId.
   */
  servicePrincipalExpr?: string;
  tenant?: string;
  mailbox: string;
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
const or = (value: string | undefined, placeholder: string) => (value ? q(value) : placeholder);
const spId = (v: PsValues) => v.servicePrincipalExpr ?? or(v.servicePrincipalId, '<enterprise-app-object-id>');

/** A PowerShell single-quoted string literal: `'` inside is doubled. */
export const psQuote = q;

export const PROPAGATION_NOTE = 'Changes can take up to about 30 minutes to reach the Exchange Online servers: wait, then run the check again.';

/**
 * `exchangeEnvironment`: -ExchangeEnvironmentName of a national cloud (O365USGovGCCHigh, …). Without a
 * tenant, -Organization has a placeholder, or is left out (the admin's own tenant) with `placeholder: false`.
 */
export function connectCommand(tenant?: string, exchangeEnvironment?: string, opts: { placeholder?: boolean } = {}): string {
  const organization = tenant || opts.placeholder !== false ? ` -Organization ${or(tenant, '<tenant-id>')}` : '';
  return `Connect-ExchangeOnline${exchangeEnvironment ? ` -ExchangeEnvironmentName ${exchangeEnvironment}` : ''}${organization}`;
}

export function newServicePrincipal(v: PsValues): string {
  return `New-ServicePrincipal -AppId ${or(v.clientId, '<application-client-id>')} -ServiceId ${spId(v)}${v.tenant ? ` -Organization ${q(v.tenant)}` : ''}`;
}

export function addMailboxPermission(v: PsValues): string {
  return `Add-MailboxPermission -Identity ${q(v.mailbox)} -User ${spId(v)} -AccessRights FullAccess`;
}

export function getServicePrincipal(v: PsValues): string {
  return v.clientId ? `Get-ServicePrincipal | Where-Object AppId -eq ${q(v.clientId)} | Format-List` : 'Get-ServicePrincipal | Format-List';
}

export function getMailboxPermission(v: PsValues): string {
  return `Get-MailboxPermission -Identity ${q(v.mailbox)}${v.servicePrincipalExpr ? ` -User ${v.servicePrincipalExpr}` : v.servicePrincipalId ? ` -User ${q(v.servicePrincipalId)}` : ''}`;
}

export function setCasMailboxImap(mailbox: string): string {
  return `Set-CASMailbox -Identity ${q(mailbox)} -ImapEnabled $true`;
}

export function getCasMailboxImap(mailbox: string): string {
  return `Get-CASMailbox -Identity ${q(mailbox)} | Format-List ImapEnabled`;
}

export const SP_OBJECT_ID_HINT =
  "The object ID is the Enterprise application's (Entra admin center → Enterprise applications → your app → Object ID), not the App registration's.";

/**
 * Microsoft Graph PowerShell expression for the object ID of the app's service principal (its
 * Enterprise application) in the signed-in tenant; empty when the tenant has none. clientId must
 * be a validated GUID: it sits inside a double-quoted PowerShell string.
 */
export function getMgServicePrincipalId(clientId: string): string {
  return `(Get-MgServicePrincipal -Filter "appId eq ${q(clientId)}").Id`;
}
