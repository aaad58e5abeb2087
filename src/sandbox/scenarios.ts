// `imap-oauth demo --scenario NAME`: each Microsoft-side failure the diagnosis knows, reproduced in
// the sandbox, so a person can see what it looks like and what the tool says about it.
import type { TokenFault } from './identity-server.js';
import type { ImapFault } from './imap-server.js';
import type { WorldOptions } from './world.js';

export interface Scenario {
  name: string;
  /** What an admin did (or forgot) to get here. */
  title: string;
  world?: WorldOptions;
  /** Which credential the app uses; 'secret-id' sends the secret's ID instead of its value. */
  credential?: 'secret' | 'secret-id' | 'certificate';
  tenant?: string;
  clientId?: string;
  scope?: string;
  tokenFault?: TokenFault;
  imapFault?: ImapFault;
  timeoutSeconds?: number;
  /** The protocol the scenario is about (default: what --protocol says, else IMAP). */
  protocol?: 'pop' | 'smtp';
  /** What the tool answers: kept here so the tests prove every scenario. */
  expect: { exitCode: number; rule: string | null };
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'success', title: 'everything set up right (client secret)', expect: { exitCode: 0, rule: null } },
  { name: 'certificate', title: 'everything set up right, with a certificate credential', credential: 'certificate', expect: { exitCode: 0, rule: null } },
  { name: 'missing-permission', title: 'IMAP.AccessAsApp not added, or admin consent not granted', world: { app: { roles: [] } }, expect: { exitCode: 6, rule: 'token-missing-imap-role' } },
  { name: 'missing-service-principal', title: 'New-ServicePrincipal was never run in Exchange Online', world: { servicePrincipalRegistered: false }, expect: { exitCode: 6, rule: 'imap-auth-rejected-service-principal' } },
  { name: 'no-mailbox-permission', title: 'Add-MailboxPermission (FullAccess) was never run for the mailbox', world: { mailbox: { fullAccess: [] } }, expect: { exitCode: 7, rule: 'imap-authenticated-not-connected' } },
  { name: 'imap-disabled', title: 'IMAP is disabled for the mailbox (Set-CASMailbox -ImapEnabled $false)', world: { mailbox: { imapEnabled: false } }, expect: { exitCode: 7, rule: 'imap-authenticated-not-connected' } },
  { name: 'wrong-secret', title: "the secret's ID was copied instead of its Value", credential: 'secret-id', expect: { exitCode: 3, rule: 'aadsts-invalid-secret' } },
  { name: 'expired-secret', title: 'the client secret has expired', world: { secretExpired: true }, expect: { exitCode: 3, rule: 'aadsts-secret-expired' } },
  { name: 'wrong-client-id', title: 'the client ID is not an app of this tenant', clientId: '0bad0bad-0bad-40ba-80ba-0bad0bad0bad', expect: { exitCode: 3, rule: 'aadsts-app-not-found' } },
  { name: 'wrong-tenant', title: 'the tenant does not exist (or is in another cloud)', tenant: 'fabrikam.onmicrosoft.com', expect: { exitCode: 3, rule: 'aadsts-tenant-not-found' } },
  { name: 'certificate-not-uploaded', title: 'the certificate was never uploaded to the app registration', credential: 'certificate', world: { app: { certificates: [] } }, expect: { exitCode: 3, rule: 'aadsts-certificate-invalid' } },
  { name: 'graph-scope', title: 'a Microsoft Graph token is used for IMAP', scope: 'https://graph.microsoft.com/.default', expect: { exitCode: 6, rule: 'token-wrong-audience' } },
  { name: 'scope-not-default', title: 'the scope names the permission instead of /.default', scope: 'https://outlook.office365.com/IMAP.AccessAsApp', expect: { exitCode: 3, rule: 'aadsts-scope-not-default' } },
  { name: 'conditional-access', title: 'a Conditional Access policy blocks the app', tokenFault: { kind: 'aadsts', code: 53003 }, expect: { exitCode: 3, rule: 'aadsts-conditional-access' } },
  { name: 'throttled', title: 'the token endpoint throttles (429 with Retry-After)', tokenFault: { kind: 'aadsts', code: 50196, retryAfterSeconds: 30 }, expect: { exitCode: 3, rule: 'aadsts-throttled' } },
  { name: 'token-endpoint-hangs', title: 'the token endpoint never answers (proxy, firewall)', tokenFault: { kind: 'hang' }, timeoutSeconds: 2, expect: { exitCode: 3, rule: 'token-timeout' } },
  { name: 'smtp-auth-disabled', title: 'SMTP AUTH is disabled for the tenant (the default from the end of December 2026)', protocol: 'smtp', world: { smtp: { tenantSmtpAuthDisabled: true } }, expect: { exitCode: 6, rule: 'smtp-auth-disabled-tenant' } },
  { name: 'smtp-auth-disabled-mailbox', title: 'SMTP AUTH is disabled for the mailbox (Set-CASMailbox -SmtpClientAuthenticationDisabled $true)', protocol: 'smtp', world: { mailbox: { smtpClientAuthenticationDisabled: true } }, expect: { exitCode: 6, rule: 'smtp-auth-disabled-mailbox' } },
  { name: 'smtp-security-defaults', title: "the tenant's security defaults block SMTP AUTH", protocol: 'smtp', world: { smtp: { securityDefaults: true } }, expect: { exitCode: 6, rule: 'smtp-security-defaults' } },
  { name: 'smtp-missing-service-principal', title: 'SMTP AUTH with a good token, but New-ServicePrincipal was never run', protocol: 'smtp', world: { servicePrincipalRegistered: false }, expect: { exitCode: 6, rule: 'smtp-auth-rejected-service-principal' } },
  { name: 'pop-disabled', title: 'POP is disabled for the mailbox (Set-CASMailbox -PopEnabled $false)', protocol: 'pop', world: { mailbox: { popEnabled: false } }, expect: { exitCode: 6, rule: 'pop-auth-rejected-service-principal' } },
  { name: 'server-busy', title: 'Exchange closes the session with BYE after login', imapFault: 'bye-after-auth', expect: { exitCode: 7, rule: 'imap-bye' } },
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export function scenarioList(): string {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  return `${SCENARIOS.map((s) => `  ${s.name.padEnd(width)}  exit ${s.expect.exitCode}  ${s.title}`).join('\n')}\n`;
}
