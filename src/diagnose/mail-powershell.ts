// Exchange Online PowerShell for the POP3 and SMTP AUTH fixes, in the style of powershell.ts (whose
// helpers these call for quoting): a value that must be a GUID enters a command only if it is one.
import { mailboxArg as mailbox, spId as trustee, type PsValues } from './powershell.js';

/** The organization-wide switch (Microsoft: "Enable or disable SMTP AUTH in Exchange Online"). */
export const enableSmtpAuthTenant = 'Set-TransportConfig -SmtpClientAuthenticationDisabled $false';
export const getSmtpAuthTenant = 'Get-TransportConfig | Format-List SmtpClientAuthenticationDisabled';

/** Per mailbox; when set it overrides the organization's setting. */
export function enableSmtpAuthMailbox(m: string): string {
  return `Set-CASMailbox -Identity ${mailbox(m)} -SmtpClientAuthenticationDisabled $false`;
}

export function getSmtpAuthMailbox(m: string): string {
  return `Get-CASMailbox -Identity ${mailbox(m)} | Format-List SmtpClientAuthenticationDisabled`;
}

/** SendAs for the app's service principal on the mailbox it sends as. */
export function addSendAs(v: PsValues): string {
  return `Add-RecipientPermission -Identity ${mailbox(v.mailbox)} -Trustee ${trustee(v)} -AccessRights SendAs -Confirm:$false`;
}

export function setPopEnabled(m: string): string {
  return `Set-CASMailbox -Identity ${mailbox(m)} -PopEnabled $true`;
}

export function getPopEnabled(m: string): string {
  return `Get-CASMailbox -Identity ${mailbox(m)} | Format-List PopEnabled`;
}
