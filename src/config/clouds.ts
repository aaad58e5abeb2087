// Microsoft 365 clouds: where a tenant signs in, where its mailboxes answer IMAP, and which
// resource its tokens are for. Each value names the Microsoft page it was checked against
// (README, "National clouds"); a value no page states is marked `derived`.

export const CLOUD_NAMES = ['global', 'usgov', 'usgov-dod', 'china'] as const;
export type CloudName = (typeof CLOUD_NAMES)[number];

export interface Cloud {
  name: CloudName;
  label: string;
  authorityHost: string;
  imapHost: string;
  /** POP3 (implicit TLS, 995) and SMTP AUTH client submission (STARTTLS, 587). */
  popHost: string;
  smtpHost: string;
  /** App-only (client credentials): the Exchange Online resource's `.default`. */
  appScope: string;
  /** Delegated flows: the user's own IMAP permission (offline_access is added). */
  delegatedScope: string;
  /** Connect-ExchangeOnline -ExchangeEnvironmentName; absent for the default (worldwide) one. */
  exchangeEnvironment?: string;
  /** Connect-MgGraph -Environment; absent for the default (Global). */
  graphEnvironment?: string;
  /** Microsoft Graph's endpoint in this cloud (--check-app reads the app registration there). */
  graphHost: string;
}

export const CLOUDS: Record<CloudName, Cloud> = {
  global: {
    name: 'global',
    label: 'Microsoft 365 (worldwide, including GCC)',
    authorityHost: 'https://login.microsoftonline.com',
    imapHost: 'outlook.office365.com',
    popHost: 'outlook.office365.com',
    smtpHost: 'smtp.office365.com',
    appScope: 'https://outlook.office365.com/.default',
    delegatedScope: 'https://outlook.office.com/IMAP.AccessAsUser.All',
    graphHost: 'https://graph.microsoft.com',
  },
  usgov: {
    name: 'usgov',
    label: 'Microsoft 365 GCC High (US Government)',
    authorityHost: 'https://login.microsoftonline.us',
    imapHost: 'outlook.office365.us',
    popHost: 'outlook.office365.us',
    smtpHost: 'smtp.office365.us',
    // derived: the Exchange Online address Microsoft gives for GCC High, with the worldwide scope's shape.
    appScope: 'https://outlook.office365.us/.default',
    delegatedScope: 'https://outlook.office365.us/IMAP.AccessAsUser.All',
    exchangeEnvironment: 'O365USGovGCCHigh',
    graphEnvironment: 'USGov',
    graphHost: 'https://graph.microsoft.us',
  },
  'usgov-dod': {
    name: 'usgov-dod',
    label: 'Microsoft 365 DoD (US Government)',
    authorityHost: 'https://login.microsoftonline.us',
    imapHost: 'outlook-dod.office365.us',
    popHost: 'outlook-dod.office365.us',
    smtpHost: 'smtp.office365.us',
    // derived: Microsoft names outlook.office365.us as the Exchange Online address of "GCC High or DoD".
    appScope: 'https://outlook.office365.us/.default',
    delegatedScope: 'https://outlook.office365.us/IMAP.AccessAsUser.All',
    exchangeEnvironment: 'O365USGovDoD',
    graphEnvironment: 'USGovDoD',
    graphHost: 'https://dod-graph.microsoft.us',
  },
  china: {
    name: 'china',
    label: 'Microsoft 365 operated by 21Vianet (China)',
    authorityHost: 'https://login.partner.microsoftonline.cn',
    imapHost: 'partner.outlook.cn',
    popHost: 'partner.outlook.cn',
    smtpHost: 'smtp.partner.outlook.cn',
    // derived: the Exchange Online address Microsoft gives for 21Vianet, with the worldwide scope's shape.
    appScope: 'https://partner.outlook.cn/.default',
    delegatedScope: 'https://partner.outlook.cn/IMAP.AccessAsUser.All',
    exchangeEnvironment: 'O365China',
    graphEnvironment: 'China',
    graphHost: 'https://microsoftgraph.chinacloudapi.cn',
  },
};

/** The cloud whose identity platform is `authorityHost`, if it is one of the presets. */
export function cloudOfAuthority(authorityHost: string): Cloud | undefined {
  const host = authorityHost.replace(/\/+$/, '').toLowerCase();
  // usgov and usgov-dod share a sign-in host: the first (usgov) answers for both.
  return Object.values(CLOUDS).find((c) => c.authorityHost === host);
}
