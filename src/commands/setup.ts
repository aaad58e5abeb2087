// `imap-oauth setup`: prints the Exchange Online PowerShell script an administrator runs to let an
// app read mailboxes over IMAP with app-only OAuth 2.0: connect, find the service principal's
// object ID, New-ServicePrincipal, Add-MailboxPermission per mailbox, then the checks to run after.
// Nothing is contacted; the same input always gives the same text.
import { CLOUDS, type CloudName } from '../config/clouds.js';
import * as v from '../config/validate.js';
import { readUsersFile, usersFileWhere } from '../config/users-input.js';
import * as mail from '../diagnose/mail-powershell.js';
import * as ps from '../diagnose/powershell.js';

const PROTOCOL_LABEL = { imap: 'IMAP', pop: 'POP3', smtp: 'SMTP AUTH' } as const;
const CAS_PROPERTY = { imap: 'ImapEnabled', pop: 'PopEnabled', smtp: 'SmtpClientAuthenticationDisabled' } as const;
import { ConfigError, errorMessage } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

export interface SetupInput {
  /** Application (client) ID of the app registration. */
  clientId: string;
  /** Tenant GUID or verified domain; without it the admin's own tenant is used. */
  tenant?: string;
  /** Object ID of the app's Enterprise application (service principal); looked up when absent. */
  serviceId?: string;
  mailboxes: string[];
  /** A national cloud: Exchange and Graph PowerShell connect to it, and the test line names it. */
  cloud?: CloudName;
  /** What the app will use (--protocol): each adds its permission and its per-mailbox switch. */
  protocols?: Array<'imap' | 'pop' | 'smtp'>;
  /** --users-file as given (not stdin): the test line then names the file instead of each --user. */
  usersFile?: string;
}

/** The Exchange Online application permission each protocol needs. */
const PERMISSION = { imap: 'IMAP.AccessAsApp', pop: 'POP.AccessAsApp', smtp: 'SMTP.SendAsApp' } as const;

/** The script variable every Exchange command uses for the service principal. */
const SERVICE_ID = '$ServiceId';
/** With several mailboxes: the list, written once, and the loop variable the commands use. */
const MAILBOXES = '$Mailboxes';
const EACH = '$m';
// Stands for the mailbox while a command is built for the loop body (not an address anyone has).
const SENTINEL = 'mailbox@imap-oauth.invalid';

/**
 * The commands about one mailbox: for one mailbox as they are; for several, one foreach over
 * $Mailboxes whose body names $m (the commands are built with a stand-in address, whose quoted
 * form is then replaced: powershell.ts quotes every real address in the list itself).
 */
function perMailbox(mailboxes: string[], commands: (mailbox: string) => string[]): string[] {
  if (mailboxes.length === 1) return commands(mailboxes[0]!);
  const quoted = ps.mailboxArg(SENTINEL);
  return [`foreach (${EACH} in ${MAILBOXES}) {`, ...commands(SENTINEL).map((line) => `    ${line.split(quoted).join(EACH)}`), '}'];
}

// The script is plain ASCII: Windows PowerShell 5.1 reads a .ps1 without a BOM as ANSI.
const consentPath = (permissions: string) => [
  'Entra admin center > App registrations > the app > API permissions > Add a permission >',
  'APIs my organization uses > Office 365 Exchange Online > Application permissions >',
  `${permissions} > Add permissions > Grant admin consent`,
];

/**
 * One argument for the `imap-oauth test` line, quoted so that it reads the same in PowerShell and
 * in bash/zsh: single quotes normally; double quotes when the value has a `'` (a validated address
 * has no `$`, backtick, `"` or `\`); PowerShell quoting only if it also has a `!` (bash history).
 */
function shellArg(value: string): string {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('!')) return `"${value}"`;
  return ps.psQuote(value);
}

function installModule(name: string): string[] {
  return [
    `if (-not (Get-Module -ListAvailable -Name ${name})) {`,
    `    Install-Module -Name ${name} -Scope CurrentUser`,
    '}',
    `Import-Module ${name}`,
  ];
}

function serviceIdSection(input: SetupInput, graphEnvironment: string | undefined): string[] {
  const { clientId, tenant, serviceId } = input;
  if (serviceId) {
    return [
      "# Step 2 of 5: the object ID of the app's service principal (given with --service-id). It must be",
      "# the Enterprise application's Object ID, NOT the App registration's object ID.",
      `${SERVICE_ID} = ${ps.psQuote(serviceId)}`,
    ];
  }
  return [
    "# Step 2 of 5: look up the object ID of the app's service principal (its Enterprise application)",
    '# with Microsoft Graph PowerShell; you will be asked to sign in again.',
    '# Or find it in the portal: Entra admin center > Enterprise applications > search for the',
    `# app ID ${clientId} > Object ID.`,
    "# It must be the Enterprise application's Object ID, NOT the App registration's object ID.",
    '# With it, the lookup can be skipped: imap-oauth setup ... --service-id OBJECT-ID',
    ...installModule('Microsoft.Graph.Applications'),
    `Connect-MgGraph${graphEnvironment ? ` -Environment ${graphEnvironment}` : ''} -Scopes 'Application.Read.All'${tenant ? ` -TenantId ${ps.psQuote(tenant)}` : ''}`,
    `${SERVICE_ID} = ${ps.getMgServicePrincipalId(clientId)}`,
    `if (-not ${SERVICE_ID}) {`,
    `    throw "The app ${clientId} has no Enterprise application (service principal) in this tenant: check the app ID and the tenant, grant admin consent for IMAP.AccessAsApp (see the top of this script), then run this script again."`,
    '}',
    `Write-Host "Service principal object ID: ${SERVICE_ID}"`,
  ];
}

/** The whole PowerShell script, ending with a newline. Pure: same input, same text. */
export function renderSetupScript(input: SetupInput): string {
  const { clientId, tenant, mailboxes } = input;
  const protocols: Array<'imap' | 'pop' | 'smtp'> = input.protocols?.length ? input.protocols : ['imap'];
  const permissions = protocols.map((p) => PERMISSION[p]).join(', ');
  const cloud = CLOUDS[input.cloud ?? 'global'];
  const national = cloud.name !== 'global' ? cloud : undefined;
  const values = (mailbox: string): ps.PsValues => ({ clientId, servicePrincipalExpr: SERVICE_ID, mailbox });
  const [firstMailbox = ''] = mailboxes;
  const several = mailboxes.length > 1;
  const usersFile = input.usersFile && /^[^\s\p{C}!$`"\\]+$/u.test(input.usersFile) ? input.usersFile : undefined;
  const testCommand = [
    'imap-oauth test',
    `--tenant ${tenant ? shellArg(tenant) : '<tenant-id>'}`,
    `--client-id ${shellArg(clientId)}`,
    ...(national ? [`--cloud ${national.name}`] : []),
    ...(protocols.length > 1 || protocols[0] !== 'imap' ? [`--protocol ${protocols.join(',')}`] : []),
    ...(several && input.usersFile ? [`--users-file ${usersFile ? shellArg(usersFile) : '<users-file>'}`] : mailboxes.map((m) => `--user ${shellArg(m)}`)),
  ].join(' ');

  const lines: string[] = [
    `# imap-oauth setup: let an app ${protocols.includes('smtp') ? 'use' : 'read'} Exchange Online mailboxes over ${protocols.map((p) => PROTOCOL_LABEL[p]).join(', ')} with OAuth 2.0 (app-only).`,
    '#',
    `#   App (client) ID:  ${clientId}`,
    `#   Tenant:           ${tenant ?? '(not given: the tenant you sign in to)'}`,
    ...(national ? [`#   Cloud:            ${national.label}`] : []),
    `#   Mailboxes:        ${several ? `${mailboxes.length}, listed in ${MAILBOXES} below` : firstMailbox}`,
    '#',
    "# The script registers the app's service principal in Exchange Online (New-ServicePrincipal), gives",
    '# it FullAccess to each mailbox above (Add-MailboxPermission) and shows the checks to run after.',
    '# It is safe to run again.',
    '#',
    '# Run it as an Exchange administrator (the Exchange Administrator or Global Administrator role):',
    '# save it as imap-oauth-setup.ps1 and run  pwsh -File .\\imap-oauth-setup.ps1  (or paste it into',
    '# PowerShell). You will be asked to sign in.',
    '#',
    `# Also needed, and not done here: the app must have the application permission${protocols.length > 1 ? 's' : ''} ${permissions}`,
    '# with admin consent. In the portal:',
    ...consentPath(permissions).map((l) => `#   ${l}`),
    '',
    "$ErrorActionPreference = 'Stop'",
    '',
    // One list, used by every loop below: a mailbox is added or removed in one place.
    ...(several ? [`${MAILBOXES} = @(`, ...mailboxes.map((m, i) => `    ${ps.psQuote(m)}${i < mailboxes.length - 1 ? ',' : ''}`), ')', ''] : []),
    '# Step 1 of 5: connect to Exchange Online.',
    ...installModule('ExchangeOnlineManagement'),
    ps.connectCommand(tenant, cloud.exchangeEnvironment, { placeholder: false }),
    '',
    ...serviceIdSection(input, cloud.graphEnvironment),
    '',
    '# Step 3 of 5: register the service principal in Exchange Online (skipped if it already is).',
    `$Existing = Get-ServicePrincipal | Where-Object AppId -eq ${ps.psQuote(clientId)}`,
    'if (-not $Existing) {',
    `    ${ps.newServicePrincipal(values(firstMailbox))}`,
    `} elseif ($Existing.ObjectId -and $Existing.ObjectId -ne ${SERVICE_ID}) {`,
    `    throw "Exchange Online already has a service principal for this app with object ID $($Existing.ObjectId), but this script uses ${SERVICE_ID}. Both must be the Enterprise application's Object ID (not the App registration's): if the registered one is wrong, remove it with Remove-ServicePrincipal -Identity $($Existing.ObjectId) and run this script again."`,
    '} else {',
    "    Write-Host 'The service principal is already registered in Exchange Online.'",
    '}',
    '',
    '# Step 4 of 5: give the service principal FullAccess to each mailbox.',
    ...(protocols.some((p) => p !== 'smtp')
      ? [
          `# ${protocols.filter((p) => p !== 'smtp').map((p) => PROTOCOL_LABEL[p]).join(' and ')} must also be enabled for each mailbox: Get-CASMailbox (also run in step 5) shows ${protocols.filter((p) => p !== 'smtp').map((p) => CAS_PROPERTY[p]).join(', ')}.`,
          `# Only where it is False, remove the # in front of Set-CASMailbox (turning ${protocols.filter((p) => p !== 'smtp').length === 1 ? PROTOCOL_LABEL[protocols.find((p) => p !== 'smtp')!] : 'a protocol'} on for a mailbox`,
          '# is a policy decision).',
        ]
      : []),
  ];
  lines.push(
    ...perMailbox(mailboxes, (mailbox) => [
      ps.addMailboxPermission(values(mailbox)),
      ...(protocols.includes('imap') ? [`# ${ps.getCasMailboxImap(mailbox)}`, `# ${ps.setCasMailboxImap(mailbox)}`] : []),
      ...(protocols.includes('pop') ? [`# ${mail.getPopEnabled(mailbox)}`, `# ${mail.setPopEnabled(mailbox)}`] : []),
      // SMTP AUTH is off by default in new tenants and, since the end of December 2026, in existing
      // ones: the mailbox setting overrides the tenant's, so enable it where the app sends.
      ...(protocols.includes('smtp') ? [mail.enableSmtpAuthMailbox(mailbox), `# Only to send as another address: ${mail.addSendAs(values(mailbox))}`] : []),
    ]),
  );
  lines.push(
    '',
    '# Step 5 of 5: check. The service principal (AppId, and ObjectId = the object ID above):',
    ps.getServicePrincipal({ clientId, mailbox: firstMailbox }),
    `# FullAccess for the service principal on each mailbox, and whether ${protocols.map((p) => PROTOCOL_LABEL[p]).join(', ')} ${protocols.length > 1 ? 'are' : 'is'} enabled for it:`,
    ...perMailbox(mailboxes, (mailbox) => [
      ps.getMailboxPermission(values(mailbox)),
      `Get-CASMailbox -Identity ${ps.mailboxArg(mailbox)} | Format-List PrimarySmtpAddress, ${protocols.map((p) => CAS_PROPERTY[p]).join(', ')}`,
    ]),
    '',
    `# ${ps.PROPAGATION_NOTE}`,
    '# To check end to end, run imap-oauth on the machine that runs the app, with its credential',
    '# (--cert PATH, --client-secret-file PATH, or IMAP_OAUTH_CLIENT_SECRET in the environment):',
    `#   ${testCommand}`,
  );
  return `${lines.join('\n')}\n`;
}

type Io = { out(text: string): void; err(text: string): void };

/** A flag's value, shown in an error message on one line. */
function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
}

function check<T>(flag: string, value: string, validate: (value: string) => T): T {
  try {
    return validate(value);
  } catch (err) {
    throw new ConfigError(`invalid ${flag} ${shown(value)}: ${errorMessage(err).split('\n')[0]}`);
  }
}

function optionalString(flags: Record<string, unknown>, key: string, flag: string, placeholder: string): string | undefined {
  const value = flags[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`missing value for ${flag} ${placeholder}`);
  return value.trim();
}

/** --users-file (stdin for "-"): the same reader as `test --users-file`; each entry with its line. */
function usersFromFile(flags: Record<string, unknown>, cwd: string): { value: string; origin: string }[] {
  const path = flags.usersFile;
  if (path === undefined) return [];
  if (typeof path !== 'string' || path.trim() === '') throw new ConfigError('missing value for --users-file PATH|-');
  const entries = readUsersFile(path, cwd);
  if (entries.length === 0) throw new ConfigError(`--users-file ${usersFileWhere(path)} lists no mailbox`);
  return entries;
}

/** Validates the flags into a SetupInput; throws ConfigError with a one-line message. */
export function setupInputFromFlags(flags: Record<string, unknown>, cwd = process.cwd()): SetupInput {
  const rawClientId = optionalString(flags, 'clientId', '--client-id', 'GUID');
  if (rawClientId === undefined) throw new ConfigError('missing --client-id GUID (the application (client) ID of the app registration)');
  const clientId = check('--client-id', rawClientId, v.guid);

  const rawTenant = optionalString(flags, 'tenant', '--tenant', 'ID');
  const tenant = rawTenant === undefined ? undefined : check('--tenant', rawTenant, v.tenant);

  const rawServiceId = optionalString(flags, 'serviceId', '--service-id', 'GUID');
  const serviceId = rawServiceId === undefined ? undefined : check('--service-id', rawServiceId, v.guid);
  if (serviceId !== undefined && serviceId === clientId) {
    throw new ConfigError(
      "invalid --service-id: it equals --client-id; give the object ID of the app's Enterprise application (Entra admin center > Enterprise applications > the app > Object ID), or leave it out to look it up",
    );
  }

  const rawMailboxes = flags.mailbox === undefined ? [] : Array.isArray(flags.mailbox) ? (flags.mailbox as unknown[]) : [flags.mailbox];
  const given: { value: string; origin: string }[] = [];
  for (const raw of rawMailboxes) {
    if (typeof raw !== 'string' || raw.trim() === '') throw new ConfigError('missing value for --mailbox UPN');
    given.push({ value: raw.trim(), origin: '--mailbox' });
  }
  given.push(...usersFromFile(flags, cwd));
  const mailboxes: string[] = [];
  const seen = new Set<string>();
  for (const { value, origin } of given) {
    // Addresses are case-insensitive: the first spelling of each is kept.
    const mailbox = origin === '--mailbox' ? check('--mailbox', value, v.mailAddress) : check(`mailbox in ${origin}`, value, v.mailAddress);
    if (seen.has(mailbox.toLowerCase())) continue;
    seen.add(mailbox.toLowerCase());
    mailboxes.push(mailbox);
  }
  if (mailboxes.length === 0) throw new ConfigError('missing --mailbox UPN (repeatable) or --users-file PATH|-: the mailboxes the app may read');
  const usersFile = typeof flags.usersFile === 'string' && flags.usersFile !== '-' ? flags.usersFile : undefined;

  const rawCloud = optionalString(flags, 'cloud', '--cloud', 'NAME');
  const cloud = rawCloud === undefined ? undefined : check('--cloud', rawCloud, v.cloud);
  const rawProtocols = flags.protocol === undefined ? [] : Array.isArray(flags.protocol) ? (flags.protocol as string[]) : [String(flags.protocol)];
  const protocols = rawProtocols.length ? check('--protocol', rawProtocols.join(','), (x) => v.protocols([x])) : undefined;

  return { ...(protocols && { protocols }), ...(usersFile !== undefined && { usersFile }), clientId, ...(tenant !== undefined && { tenant }), ...(serviceId !== undefined && { serviceId }), mailboxes, ...(cloud !== undefined && { cloud }) };
}

/** `imap-oauth setup`: prints the script on stdout. Bad input throws ConfigError (exit 2). */
export function runSetup(flags: Record<string, unknown>, io: Io, cwd = process.cwd()): number {
  io.out(renderSetupScript(setupInputFromFlags(flags, cwd)));
  return ExitCode.OK;
}
