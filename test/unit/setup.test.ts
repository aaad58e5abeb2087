// `imap-oauth setup`: the PowerShell script it prints, and the validation of its flags.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSetupScript, runSetup, setupInputFromFlags, type SetupInput } from '../../src/commands/setup.js';
import { ConfigError } from '../../src/errors.js';

const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SERVICE_ID = '99999999-8888-7777-6666-555555555555';
const TENANT = 'contoso.onmicrosoft.com';
const ALICE = 'alice@contoso.com';
const BOB = 'bob@contoso.com';

const full: SetupInput = { clientId: CLIENT_ID, tenant: TENANT, serviceId: SERVICE_ID, mailboxes: [ALICE] };
const count = (text: string, needle: string) => text.split(needle).length - 1;
const codeLines = (script: string) => script.split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

function configError(flags: Record<string, unknown>): string {
  try {
    runSetup(flags, capture().io);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('renderSetupScript', () => {
  it('fills in the values everywhere, in the order of the procedure', () => {
    const s = renderSetupScript(full);
    expect(s).toContain(`#   App (client) ID:  ${CLIENT_ID}`);
    expect(s).toContain(`#   Tenant:           ${TENANT}`);
    expect(s).toContain(`#   Mailboxes:        ${ALICE}`);
    expect(s).toMatch(/Exchange administrator/);
    expect(s).toContain('IMAP.AccessAsApp');
    expect(s).toContain('Office 365 Exchange Online > Application permissions >');
    expect(s).toContain('Grant admin consent');

    const order = [
      "if (-not (Get-Module -ListAvailable -Name ExchangeOnlineManagement)) {",
      'Install-Module -Name ExchangeOnlineManagement',
      'Import-Module ExchangeOnlineManagement',
      `Connect-ExchangeOnline -Organization '${TENANT}'`,
      `$ServiceId = '${SERVICE_ID}'`,
      `$Existing = Get-ServicePrincipal | Where-Object AppId -eq '${CLIENT_ID}'`,
      `New-ServicePrincipal -AppId '${CLIENT_ID}' -ServiceId $ServiceId`,
      `Add-MailboxPermission -Identity '${ALICE}' -User $ServiceId -AccessRights FullAccess`,
      `# Get-CASMailbox -Identity '${ALICE}' | Format-List ImapEnabled`,
      `# Set-CASMailbox -Identity '${ALICE}' -ImapEnabled $true`,
      `Get-ServicePrincipal | Where-Object AppId -eq '${CLIENT_ID}' | Format-List`,
      `Get-MailboxPermission -Identity '${ALICE}' -User $ServiceId`,
      '30 minutes',
      `imap-oauth test --tenant '${TENANT}' --client-id '${CLIENT_ID}' --user '${ALICE}'`,
    ];
    let at = -1;
    for (const needle of order) {
      const i = s.indexOf(needle, at + 1);
      expect(i, needle).toBeGreaterThan(at);
      at = i;
    }
  });

  it('does not pass -Organization to New-ServicePrincipal (the session is already connected to it)', () => {
    expect(renderSetupScript(full)).toMatch(/New-ServicePrincipal -AppId '[^']+' -ServiceId \$ServiceId\n/);
  });

  it('guards New-ServicePrincipal so that running the script again is safe', () => {
    const s = renderSetupScript(full);
    expect(s).toMatch(/if \(-not \$Existing\) \{\n\s+New-ServicePrincipal /);
    expect(s).toContain('Remove-ServicePrincipal -Identity $($Existing.ObjectId)');
    expect(count(s, 'New-ServicePrincipal -AppId')).toBe(1);
  });

  it('uses --service-id as given and does not look it up', () => {
    const s = renderSetupScript(full);
    expect(s).toContain(`$ServiceId = '${SERVICE_ID}'`);
    expect(s).not.toContain('Get-MgServicePrincipal');
    expect(s).not.toContain('Connect-MgGraph');
    expect(s).toContain("NOT the App registration's object ID");
  });

  it('looks the service principal up with Microsoft Graph when --service-id is not given', () => {
    const s = renderSetupScript({ clientId: CLIENT_ID, tenant: TENANT, mailboxes: [ALICE] });
    expect(s).toContain('Install-Module -Name Microsoft.Graph.Applications');
    expect(s).toContain(`Connect-MgGraph -Scopes 'Application.Read.All' -TenantId '${TENANT}'\n`);
    expect(s).toContain(`$ServiceId = (Get-MgServicePrincipal -Filter "appId eq '${CLIENT_ID}'").Id\n`);
    // Stops with a clear message when the enterprise application does not exist.
    expect(s).toMatch(/if \(-not \$ServiceId\) \{\n\s+throw "[^"\n]*no Enterprise application[^"\n]*admin consent[^"\n]*"\n\}/);
    // The portal as the alternative, and which object ID it must be.
    expect(s).toContain('Entra admin center > Enterprise applications > search for');
    expect(s).toContain(`# app ID ${CLIENT_ID} > Object ID.\n# It must be the Enterprise application's Object ID, NOT the App registration's object ID.`);
    // Never a blank or a placeholder for the object ID.
    expect(s).not.toMatch(/\$ServiceId = ''/);
    expect(s).not.toMatch(/<[^>\n]*>/);
    // The lookup comes before anything uses $ServiceId.
    expect(s.indexOf('Get-MgServicePrincipal')).toBeLessThan(s.indexOf('New-ServicePrincipal -AppId'));
  });

  it('without a tenant: plain Connect-ExchangeOnline and Connect-MgGraph, a tenant placeholder only in the test line', () => {
    const s = renderSetupScript({ clientId: CLIENT_ID, mailboxes: [ALICE] });
    expect(s).toMatch(/^Connect-ExchangeOnline$/m);
    expect(s).toMatch(/^Connect-MgGraph -Scopes 'Application.Read.All'$/m);
    expect(s).not.toContain('-Organization');
    expect(s).not.toContain('-TenantId');
    expect(s).toContain('(not given: the tenant you sign in to)');
    expect(s).toContain(`imap-oauth test --tenant <tenant-id> --client-id '${CLIENT_ID}' --user '${ALICE}'`);
    expect(s.match(/<[^>\n]*>/g)).toEqual(['<tenant-id>']);
  });

  it('several mailboxes: one $Mailboxes list and one foreach per step, not a copy of each command per mailbox', () => {
    const mailboxes = [ALICE, BOB, 'carol@fabrikam.com'];
    const s = renderSetupScript({ ...full, mailboxes });
    expect(s).toContain(`$Mailboxes = @(\n    '${ALICE}',\n    '${BOB}',\n    'carol@fabrikam.com'\n)\n`);
    expect(s).toContain(
      'foreach ($m in $Mailboxes) {\n    Add-MailboxPermission -Identity $m -User $ServiceId -AccessRights FullAccess\n' +
        '    # Get-CASMailbox -Identity $m | Format-List ImapEnabled\n    # Set-CASMailbox -Identity $m -ImapEnabled $true\n}\n',
    );
    expect(s).toContain('foreach ($m in $Mailboxes) {\n    Get-MailboxPermission -Identity $m -User $ServiceId\n    Get-CASMailbox -Identity $m | Format-List PrimarySmtpAddress, ImapEnabled\n}\n');
    expect(count(s, 'Add-MailboxPermission -Identity')).toBe(1);
    expect(count(s, 'Get-MailboxPermission -Identity')).toBe(1);
    // Each address once, in the list (the stand-in used to build the loop body never shows).
    for (const m of mailboxes) expect(count(s, `'${m}'`)).toBe(2); // the list and the test line
    expect(s).not.toContain('imap-oauth.invalid');
    expect(s).toContain('#   Mailboxes:        3, listed in $Mailboxes below\n');
    expect(s).toContain(`--user '${ALICE}' --user '${BOB}' --user 'carol@fabrikam.com'\n`);
    // Only one service principal, whatever the number of mailboxes.
    expect(count(s, 'New-ServicePrincipal -AppId')).toBe(1);
  });

  it('one mailbox: the commands name it, no loop', () => {
    const s = renderSetupScript(full);
    expect(s).not.toContain('foreach');
    expect(s).not.toContain('$Mailboxes');
    expect(s).toContain(`Add-MailboxPermission -Identity '${ALICE}' -User $ServiceId -AccessRights FullAccess\n`);
  });

  it('30 mailboxes from a users file: the loop stays the same size, the test line names the file', () => {
    const mailboxes = Array.from({ length: 30 }, (_, i) => `user${i + 1}@contoso.com`);
    const one = renderSetupScript({ ...full, mailboxes: mailboxes.slice(0, 2), usersFile: 'mailboxes.txt' });
    const s = renderSetupScript({ ...full, mailboxes, usersFile: 'mailboxes.txt' });
    expect(s.split('\n').length - one.split('\n').length).toBe(28); // one list line per mailbox more, nothing else
    expect(s).toContain(`imap-oauth test --tenant '${TENANT}' --client-id '${CLIENT_ID}' --users-file 'mailboxes.txt'\n`);
    expect(s).not.toContain('--user ');
    // A path that would not paste safely is a placeholder.
    expect(renderSetupScript({ ...full, mailboxes, usersFile: 'my $(rm) list.txt' })).toContain('--users-file <users-file>\n');
  });

  it('smtp and pop in the loop: every per-mailbox command names $m', () => {
    const s = renderSetupScript({ ...full, mailboxes: [ALICE, BOB], protocols: ['imap', 'pop', 'smtp'] });
    const at = s.indexOf('foreach ($m in $Mailboxes) {');
    const loop = s.slice(at, s.indexOf('\n}\n', at) + 3);
    expect(loop).toContain('    Set-CASMailbox -Identity $m -SmtpClientAuthenticationDisabled $false');
    expect(loop).toContain('    # Set-CASMailbox -Identity $m -PopEnabled $true');
    expect(loop).toContain('Add-RecipientPermission -Identity $m -Trustee $ServiceId -AccessRights SendAs');
    expect(loop).not.toContain(ALICE);
  });

  it("doubles ' inside PowerShell single-quoted values", () => {
    const s = renderSetupScript({ ...full, mailboxes: ["o'brien@contoso.com"] });
    expect(s).toContain(`Add-MailboxPermission -Identity 'o''brien@contoso.com' -User $ServiceId -AccessRights FullAccess`);
    expect(s).toContain(`Get-MailboxPermission -Identity 'o''brien@contoso.com' -User $ServiceId`);
    expect(s).toContain(`# Set-CASMailbox -Identity 'o''brien@contoso.com' -ImapEnabled $true`);
    // The test line reads the same in PowerShell and bash: double quotes around a value with '.
    expect(s).toContain(`--user "o'brien@contoso.com"`);
    // Every single-quoted literal in the code is well formed: an even number of quotes per line.
    for (const line of codeLines(s).filter((l) => !l.includes('"'))) {
      expect(count(line, "'") % 2, line).toBe(0);
    }
    // In PowerShell code the ' is always doubled.
    expect(codeLines(s).join('\n')).not.toMatch(/[^']'brien/);
  });

  it('leaves no placeholder when every value is given', () => {
    const s = renderSetupScript({ ...full, mailboxes: [ALICE, BOB] });
    expect(s).not.toMatch(/<[^>\n]*>/);
    expect(s).not.toContain('...');
    expect(s).not.toContain('…');
  });

  it('is plain ASCII, stable, and ends with exactly one newline', () => {
    const a = renderSetupScript({ ...full, mailboxes: [ALICE, BOB] });
    expect(a).toBe(renderSetupScript({ ...full, mailboxes: [ALICE, BOB] }));
    expect(a).toMatch(/[^\n]\n$/);
    expect(a).not.toMatch(/[^\x0a\x20-\x7e]/);
    expect(renderSetupScript({ clientId: CLIENT_ID, mailboxes: [ALICE] })).toMatch(/[^\n]\n$/);
  });

  it('matches the snapshot (lookup variant)', () => {
    expect(renderSetupScript({ clientId: CLIENT_ID, tenant: TENANT, mailboxes: [ALICE, "o'brien@contoso.com"] })).toMatchInlineSnapshot(`
      "# imap-oauth setup: let an app read Exchange Online mailboxes over IMAP with OAuth 2.0 (app-only).
      #
      #   App (client) ID:  aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
      #   Tenant:           contoso.onmicrosoft.com
      #   Mailboxes:        2, listed in $Mailboxes below
      #
      # The script registers the app's service principal in Exchange Online (New-ServicePrincipal), gives
      # it FullAccess to each mailbox above (Add-MailboxPermission) and shows the checks to run after.
      # It is safe to run again.
      #
      # Run it as an Exchange administrator (the Exchange Administrator or Global Administrator role):
      # save it as imap-oauth-setup.ps1 and run  pwsh -File .\\imap-oauth-setup.ps1  (or paste it into
      # PowerShell). You will be asked to sign in.
      #
      # Also needed, and not done here: the app must have the application permission IMAP.AccessAsApp
      # with admin consent. In the portal:
      #   Entra admin center > App registrations > the app > API permissions > Add a permission >
      #   APIs my organization uses > Office 365 Exchange Online > Application permissions >
      #   IMAP.AccessAsApp > Add permissions > Grant admin consent

      $ErrorActionPreference = 'Stop'

      $Mailboxes = @(
          'alice@contoso.com',
          'o''brien@contoso.com'
      )

      # Step 1 of 5: connect to Exchange Online.
      if (-not (Get-Module -ListAvailable -Name ExchangeOnlineManagement)) {
          Install-Module -Name ExchangeOnlineManagement -Scope CurrentUser
      }
      Import-Module ExchangeOnlineManagement
      Connect-ExchangeOnline -Organization 'contoso.onmicrosoft.com'

      # Step 2 of 5: look up the object ID of the app's service principal (its Enterprise application)
      # with Microsoft Graph PowerShell; you will be asked to sign in again.
      # Or find it in the portal: Entra admin center > Enterprise applications > search for the
      # app ID aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee > Object ID.
      # It must be the Enterprise application's Object ID, NOT the App registration's object ID.
      # With it, the lookup can be skipped: imap-oauth setup ... --service-id OBJECT-ID
      if (-not (Get-Module -ListAvailable -Name Microsoft.Graph.Applications)) {
          Install-Module -Name Microsoft.Graph.Applications -Scope CurrentUser
      }
      Import-Module Microsoft.Graph.Applications
      Connect-MgGraph -Scopes 'Application.Read.All' -TenantId 'contoso.onmicrosoft.com'
      $ServiceId = (Get-MgServicePrincipal -Filter "appId eq 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'").Id
      if (-not $ServiceId) {
          throw "The app aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee has no Enterprise application (service principal) in this tenant: check the app ID and the tenant, grant admin consent for IMAP.AccessAsApp (see the top of this script), then run this script again."
      }
      Write-Host "Service principal object ID: $ServiceId"

      # Step 3 of 5: register the service principal in Exchange Online (skipped if it already is).
      $Existing = Get-ServicePrincipal | Where-Object AppId -eq 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'
      if (-not $Existing) {
          New-ServicePrincipal -AppId 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' -ServiceId $ServiceId
      } elseif ($Existing.ObjectId -and $Existing.ObjectId -ne $ServiceId) {
          throw "Exchange Online already has a service principal for this app with object ID $($Existing.ObjectId), but this script uses $ServiceId. Both must be the Enterprise application's Object ID (not the App registration's): if the registered one is wrong, remove it with Remove-ServicePrincipal -Identity $($Existing.ObjectId) and run this script again."
      } else {
          Write-Host 'The service principal is already registered in Exchange Online.'
      }

      # Step 4 of 5: give the service principal FullAccess to each mailbox.
      # IMAP must also be enabled for each mailbox: Get-CASMailbox (also run in step 5) shows ImapEnabled.
      # Only where it is False, remove the # in front of Set-CASMailbox (turning IMAP on for a mailbox
      # is a policy decision).
      foreach ($m in $Mailboxes) {
          Add-MailboxPermission -Identity $m -User $ServiceId -AccessRights FullAccess
          # Get-CASMailbox -Identity $m | Format-List ImapEnabled
          # Set-CASMailbox -Identity $m -ImapEnabled $true
      }

      # Step 5 of 5: check. The service principal (AppId, and ObjectId = the object ID above):
      Get-ServicePrincipal | Where-Object AppId -eq 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' | Format-List
      # FullAccess for the service principal on each mailbox, and whether IMAP is enabled for it:
      foreach ($m in $Mailboxes) {
          Get-MailboxPermission -Identity $m -User $ServiceId
          Get-CASMailbox -Identity $m | Format-List PrimarySmtpAddress, ImapEnabled
      }

      # Changes can take up to about 30 minutes to reach the Exchange Online servers: wait, then run the check again.
      # To check end to end, run imap-oauth on the machine that runs the app, with its credential
      # (--cert PATH, --client-secret-file PATH, or IMAP_OAUTH_CLIENT_SECRET in the environment):
      #   imap-oauth test --tenant 'contoso.onmicrosoft.com' --client-id 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee' --user 'alice@contoso.com' --user "o'brien@contoso.com"
      "
    `);
  });
});

describe('runSetup', () => {
  it('prints the script on stdout and returns 0', () => {
    const { io, out, err } = capture();
    const code = runSetup({ clientId: CLIENT_ID.toUpperCase(), tenant: 'Contoso.onmicrosoft.com', mailbox: [ALICE, BOB] }, io);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out.join('')).toBe(renderSetupScript({ clientId: CLIENT_ID, tenant: TENANT, mailboxes: [ALICE, BOB] }));
  });

  it('normalises the flags and drops repeated mailboxes', () => {
    expect(setupInputFromFlags({ clientId: ` ${CLIENT_ID} `, serviceId: SERVICE_ID.toUpperCase(), mailbox: [ALICE, 'ALICE@contoso.com', BOB] })).toEqual({
      clientId: CLIENT_ID,
      serviceId: SERVICE_ID,
      mailboxes: [ALICE, BOB],
    });
    expect(setupInputFromFlags({ clientId: CLIENT_ID, mailbox: ALICE })).toEqual({ clientId: CLIENT_ID, mailboxes: [ALICE] });
  });

  it('--users-file: one address a line or a CSV, merged with --mailbox, repeats dropped; a bad address names its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imap-oauth-setup-'));
    try {
      writeFileSync(join(dir, 'list.txt'), `# the shared mailboxes\n${BOB}\n\nALICE@contoso.com\ncarol@fabrikam.com\n`);
      expect(setupInputFromFlags({ clientId: CLIENT_ID, mailbox: [ALICE], usersFile: 'list.txt' }, dir)).toEqual({ clientId: CLIENT_ID, usersFile: 'list.txt', mailboxes: [ALICE, BOB, 'carol@fabrikam.com'] });
      writeFileSync(join(dir, 'export.csv'), `DisplayName,UserPrincipalName\nAlice,${ALICE}\n"Bob, B",${BOB}\n`);
      expect(setupInputFromFlags({ clientId: CLIENT_ID, usersFile: 'export.csv' }, dir).mailboxes).toEqual([ALICE, BOB]);
      writeFileSync(join(dir, 'bad.txt'), `${ALICE}\nnot an address\n`);
      expect(() => setupInputFromFlags({ clientId: CLIENT_ID, usersFile: 'bad.txt' }, dir)).toThrow(/^invalid mailbox in --users-file bad\.txt line 2 "not an address": contains spaces/);
      writeFileSync(join(dir, 'empty.txt'), '# nothing yet\n');
      expect(() => setupInputFromFlags({ clientId: CLIENT_ID, usersFile: 'empty.txt' }, dir)).toThrow(/^--users-file empty\.txt lists no mailbox$/);
      expect(() => setupInputFromFlags({ clientId: CLIENT_ID, usersFile: 'missing.txt' }, dir)).toThrow(/^cannot read missing\.txt \(--users-file\): no such file$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no client ID', { mailbox: [ALICE] }, /^missing --client-id GUID/],
    ['empty client ID', { clientId: '', mailbox: [ALICE] }, /^missing value for --client-id GUID$/],
    ['bad client ID', { clientId: 'x', mailbox: [ALICE] }, /^invalid --client-id "x": expected a GUID like 00000000-0000-0000-0000-000000000000$/],
    ['bad tenant', { clientId: CLIENT_ID, tenant: 'not a tenant', mailbox: [ALICE] }, /^invalid --tenant "not a tenant": expected the tenant GUID or a verified domain/],
    ['common tenant', { clientId: CLIENT_ID, tenant: 'common', mailbox: [ALICE] }, /^invalid --tenant "common": .*app-only/],
    ['bad service ID', { clientId: CLIENT_ID, serviceId: 'abc', mailbox: [ALICE] }, /^invalid --service-id "abc": expected a GUID/],
    ['service ID = client ID', { clientId: CLIENT_ID, serviceId: CLIENT_ID, mailbox: [ALICE] }, /^invalid --service-id: it equals --client-id; .*Enterprise application/],
    ['no mailbox', { clientId: CLIENT_ID }, /^missing --mailbox UPN \(repeatable\)/],
    ['empty mailbox list', { clientId: CLIENT_ID, mailbox: [] }, /^missing --mailbox UPN \(repeatable\)/],
    ['bad mailbox', { clientId: CLIENT_ID, mailbox: [ALICE, 'bob'] }, /^invalid --mailbox "bob": expected a mailbox address/],
    ['non-ASCII mailbox', { clientId: CLIENT_ID, mailbox: ['jürgen@contoso.com'] }, /^invalid --mailbox "jürgen@contoso.com": contains spaces or non-ASCII/],
    ['newline in a value', { clientId: 'a\nb', mailbox: [ALICE] }, /^invalid --client-id "a\\nb": expected a GUID/],
  ])('%s: ConfigError with one line naming the flag', (_name, flags, message) => {
    const text = configError(flags);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('bad input exits 2 through ConfigError and prints nothing', () => {
    const { io, out } = capture();
    let caught: unknown;
    try {
      runSetup({ clientId: 'nope', mailbox: [ALICE] }, io);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).exitCode).toBe(2);
    expect(out).toEqual([]);
  });
});

describe('setup --protocol', () => {
  const base = { clientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', serviceId: '11111111-2222-3333-4444-555555555555', mailbox: ['scanner@contoso.com'] };

  it('smtp: asks for SMTP.SendAsApp, enables SMTP AUTH on the mailbox and checks it; SendAs only as a comment', () => {
    const script = renderSetupScript(setupInputFromFlags({ ...base, protocol: ['smtp'] }));
    expect(script).toContain('SMTP.SendAsApp > Add permissions > Grant admin consent');
    expect(script).not.toContain('IMAP.AccessAsApp');
    expect(script).toMatch(/^Set-CASMailbox -Identity 'scanner@contoso\.com' -SmtpClientAuthenticationDisabled \$false$/m);
    expect(script).toMatch(/^# Only to send as another address: Add-RecipientPermission -Identity 'scanner@contoso\.com' -Trustee \$ServiceId -AccessRights SendAs/m);
    expect(script).toContain('Format-List PrimarySmtpAddress, SmtpClientAuthenticationDisabled');
    expect(script).toContain("--protocol smtp --user 'scanner@contoso.com'");
    expect(script).not.toMatch(/ImapEnabled/);
  });

  it('imap,pop: both permissions, both per-mailbox switches commented out', () => {
    const script = renderSetupScript(setupInputFromFlags({ ...base, protocol: ['imap,pop'] }));
    expect(script).toContain('IMAP.AccessAsApp, POP.AccessAsApp > Add permissions');
    expect(script).toMatch(/^# Set-CASMailbox -Identity 'scanner@contoso\.com' -PopEnabled \$true$/m);
    expect(script).toMatch(/^# Set-CASMailbox -Identity 'scanner@contoso\.com' -ImapEnabled \$true$/m);
    expect(script).not.toContain('SmtpClientAuthenticationDisabled');
  });

  it('refuses an unknown protocol in one line', () => {
    expect(() => setupInputFromFlags({ ...base, protocol: ['imap,ftp'] })).toThrow(/^invalid --protocol "imap,ftp": expected imap, pop or smtp/);
  });
});
