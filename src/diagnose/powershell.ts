// Exchange Online PowerShell, filled in with the user's real values. Placeholders remain only
// where the value cannot be known from the evidence, and say where to find it.
export interface PsValues {
  clientId?: string;
  /** Object ID of the enterprise application (service principal), e.g. the token's oid. */
  servicePrincipalId?: string;
  tenant?: string;
  mailbox: string;
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
const or = (value: string | undefined, placeholder: string) => (value ? q(value) : placeholder);

export const PROPAGATION_NOTE = 'Changes can take up to about 30 minutes to reach the Exchange Online servers: wait, then run the check again.';

export function connectCommand(tenant?: string): string {
  return `Connect-ExchangeOnline -Organization ${or(tenant, '<tenant-id>')}`;
}

export function newServicePrincipal(v: PsValues): string {
  return `New-ServicePrincipal -AppId ${or(v.clientId, '<application-client-id>')} -ServiceId ${or(v.servicePrincipalId, '<enterprise-app-object-id>')}${v.tenant ? ` -Organization ${q(v.tenant)}` : ''}`;
}

export function addMailboxPermission(v: PsValues): string {
  return `Add-MailboxPermission -Identity ${q(v.mailbox)} -User ${or(v.servicePrincipalId, '<enterprise-app-object-id>')} -AccessRights FullAccess`;
}

export function getServicePrincipal(v: PsValues): string {
  return v.clientId ? `Get-ServicePrincipal | Where-Object AppId -eq ${q(v.clientId)} | Format-List` : 'Get-ServicePrincipal | Format-List';
}

export function getMailboxPermission(v: PsValues): string {
  return `Get-MailboxPermission -Identity ${q(v.mailbox)}${v.servicePrincipalId ? ` -User ${q(v.servicePrincipalId)}` : ''}`;
}

export function setCasMailboxImap(mailbox: string): string {
  return `Set-CASMailbox -Identity ${q(mailbox)} -ImapEnabled $true`;
}

export function getCasMailboxImap(mailbox: string): string {
  return `Get-CASMailbox -Identity ${q(mailbox)} | Format-List ImapEnabled`;
}

export const SP_OBJECT_ID_HINT =
  "The object ID is the Enterprise application's (Entra admin center → Enterprise applications → your app → Object ID), not the App registration's.";
