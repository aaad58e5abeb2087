// --check-app findings: the app registration's secrets and certificates, read from Microsoft Graph.
// Run-level, not per mailbox: one registration serves every check. A credential within --warn-days
// of its end is advisory, an expired one an error; not being allowed to read the registration
// (HTTP 403: no Application.Read.All) is its own advisory with the grant. None of these changes
// the mail checks' result. Names Graph returns (displayName) are shown, never put into commands.
import type { AppCheck, AppCredential } from '../../app-check/evaluate.js';
import type { CloudName } from '../../config/clouds.js';
import { isGuid } from '../../config/validate.js';
import type { Diagnosis } from '../types.js';

export interface AppFindingContext {
  clientId?: string;
  cloud?: CloudName;
  warnDays: number;
}

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** az CLI's cloud names, for `az cloud set` before the commands (the worldwide one is the default). */
const AZ_CLOUD: Record<CloudName, string | undefined> = { global: undefined, usgov: 'AzureUSGovernment', 'usgov-dod': 'AzureUSGovernment', china: 'AzureChinaCloud' };

const appArg = (ctx: AppFindingContext) => (ctx.clientId && isGuid(ctx.clientId) ? ctx.clientId : '<application-client-id>');
const azCloud = (ctx: AppFindingContext) => (AZ_CLOUD[ctx.cloud ?? 'global'] ? [`  az cloud set --name ${AZ_CLOUD[ctx.cloud ?? 'global']}`] : []);

function described(c: AppCredential): string {
  const what = c.kind === 'secret' ? 'client secret' : 'certificate';
  const extra = c.kind === 'secret' ? (c.hint && c.displayName ? ` (${c.hint}…)` : '') : c.thumbprint && c.displayName ? ` (SHA-1 ${c.thumbprint})` : '';
  return `${what} "${c.name}"${extra}`;
}

function credentialFinding(c: AppCredential, ctx: AppFindingContext): Diagnosis {
  const expired = c.state === 'expired';
  const days = Math.floor(c.daysLeft ?? 0);
  const app = appArg(ctx);
  const keyId = c.keyId && isGuid(c.keyId) ? c.keyId : '<key-id>';
  const roll =
    c.kind === 'secret'
      ? [
          'Add a new secret next to it, give the new value to everything that uses the app (for imap-oauth: IMAP_OAUTH_CLIENT_SECRET or --client-secret-file), then remove the old one:',
          ...azCloud(ctx),
          `  az ad app credential reset --id ${app} --append --display-name imap-oauth --years 1`,
          `  az ad app credential delete --id ${app} --key-id ${keyId}`,
          '(or in the Entra admin center: App registrations > the app > Certificates & secrets). Microsoft caps new secrets at 24 months and recommends less than 12; a certificate (imap-oauth cert new) is the sturdier credential.',
        ]
      : [
          'Make a new certificate, add it next to the old one, switch the app (for imap-oauth: --cert) to it, then remove the old one:',
          '  imap-oauth cert new --out ./next-cert --days 365',
          ...azCloud(ctx),
          `  az ad app credential reset --id ${app} --cert "@./next-cert/imap-oauth.cer" --append`,
          `  az ad app credential delete --id ${app} --key-id ${keyId}`,
        ];
  return {
    id: `app-${c.kind}-${expired ? 'expired' : 'expiring'}`,
    severity: expired ? 'error' : 'advisory',
    summary: expired ? `the app registration's ${described(c)} expired on ${c.endDateTime}` : `the app registration's ${described(c)} expires on ${c.endDateTime} (in ${days} day${days === 1 ? '' : 's'})`,
    cause: expired
      ? `Entra ID refuses an expired ${c.kind === 'secret' ? 'client secret (AADSTS7000222)' : 'certificate (AADSTS700027)'}: whatever still uses it cannot get a token. It stays listed in the registration until someone removes it.`
      : `Within --warn-days (${ctx.warnDays}) of its end. Entra ID refuses it after that (${c.kind === 'secret' ? 'AADSTS7000222' : 'AADSTS700027'}), and every app that uses it stops getting tokens.`,
    fix: roll.join('\n'),
    docs: c.kind === 'secret' ? 'https://learn.microsoft.com/entra/identity-platform/how-to-add-credentials' : 'https://learn.microsoft.com/entra/identity-platform/certificate-credentials',
  };
}

function forbidden(check: AppCheck, ctx: AppFindingContext): Diagnosis {
  const app = appArg(ctx);
  return {
    id: 'app-check-forbidden',
    severity: 'advisory',
    summary: `--check-app could not read the app registration: Microsoft Graph refused it (${check.error?.message ?? 'HTTP 403'})`,
    cause: "Reading an app registration's secrets and certificates (their end dates, never their values) with the app's own token needs the Microsoft Graph application permission Application.Read.All, with admin consent. The mail checks do not need it and are not affected.",
    fix: [
      'Grant it (an administrator who can consent to application permissions), with Azure CLI:',
      ...azCloud(ctx),
      `  az ad app permission add --id ${app} --api ${GRAPH_APP_ID} --api-permissions "$(az ad sp show --id ${GRAPH_APP_ID} --query "appRoles[?value=='Application.Read.All'].id" -o tsv)=Role"`,
      `  az ad app permission admin-consent --id ${app}`,
      'or with Microsoft Graph PowerShell (Connect-MgGraph -Scopes AppRoleAssignment.ReadWrite.All, Application.Read.All):',
      `  $graph = Get-MgServicePrincipal -Filter "appId eq '${GRAPH_APP_ID}'"`,
      `  $sp = Get-MgServicePrincipal -Filter "appId eq '${app}'"`,
      "  $role = $graph.AppRoles | Where-Object Value -eq 'Application.Read.All'",
      '  New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $sp.Id -PrincipalId $sp.Id -ResourceId $graph.Id -AppRoleId $role.Id',
      '(or Entra admin center > App registrations > the app > API permissions > Add a permission > Microsoft Graph > Application permissions > Application.Read.All > Grant admin consent). A new permission can take a few minutes to reach new tokens.',
    ].join('\n'),
    docs: 'https://learn.microsoft.com/graph/api/application-get',
  };
}

function failed(check: AppCheck): Diagnosis {
  const e = check.error!;
  const why =
    e.kind === 'not-found' ? 'Graph knows no app registration with this client ID in the tenant the token is for (an app from another tenant is read in its home tenant).'
    : e.kind === 'token' ? 'The Microsoft Graph token (scope <graph>/.default with the same credential) could not be had; the mail checks used their own token.'
    : e.kind === 'network' ? 'Microsoft Graph could not be reached (the same network path, proxy and CA trust as the token endpoint).'
    : 'Microsoft Graph answered with something other than the app registration.';
  return {
    id: 'app-check-failed',
    severity: 'advisory',
    summary: `--check-app could not read the app registration: ${e.message}`,
    cause: `${why} The mail checks are not affected.`,
    fix: e.kind === 'network' ? 'Check that the Graph host is reachable from here (--proxy, HTTPS_PROXY, --ca-file apply), then run again.' : 'Check --tenant and --client-id, then run again with --verbose.',
  };
}

/** Every finding --check-app makes: one per secret or certificate near or past its end, or why it could not read. */
export function appFindings(check: AppCheck, ctx: AppFindingContext): Diagnosis[] {
  if (!check.ok) return [check.error?.kind === 'forbidden' ? forbidden(check, ctx) : failed(check)];
  return check.credentials.filter((c) => c.state !== 'ok').map((c) => credentialFinding(c, ctx));
}
