// The EXAMPLES section of each command's --help. Every line starting with "imap-oauth" is parsed by
// the program in test/e2e/help.test.ts (so a renamed flag breaks the test, not the help), and the
// offline ones (demo, explain, setup, sasl, cert, completion, logout) are run for real there.
// Placeholders are values the tool accepts as they are: contoso.onmicrosoft.com, this GUID.

const APP = '--tenant contoso.onmicrosoft.com --client-id 3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21';

/** Command path ("test", "cert new") → comment lines ("# …") and commands. */
export const EXAMPLES: Record<string, string[]> = {
  '': [
    '# Check a real mailbox with a certificate credential:',
    `imap-oauth test ${APP} --cert imap-oauth.pem --user someone@contoso.com`,
    '# Look an error up, offline:',
    'imap-oauth explain AADSTS7000215',
  ],
  test: [
    '# App-only, the secret read from a file (a secret is never a flag):',
    `imap-oauth test ${APP} --client-secret-file secret.txt --user someone@contoso.com`,
    '# A certificate credential (recommended); IMAP, POP and SMTP AUTH with one token:',
    `imap-oauth test ${APP} --cert imap-oauth.pem --user someone@contoso.com --protocol imap,pop,smtp`,
    '# A user signs in with a code on any device; the token is kept for later runs:',
    `imap-oauth test --flow device-code ${APP} --token-cache ~/.imap-oauth-token.json`,
    '# Many mailboxes, 16 at once, a JUnit report for CI:',
    `imap-oauth test ${APP} --cert imap-oauth.pem --users-file mailboxes.txt --concurrency 16 --junit report.xml`,
    '# Behind a proxy that inspects TLS (its CA trusted too):',
    `imap-oauth test ${APP} --cert imap-oauth.pem --user someone@contoso.com --proxy http://proxy.contoso.com:3128 --ca-file corp-ca.pem`,
    '# Any IMAP server with a ready token (Gmail):',
    'imap-oauth test --auth-mode generic --host imap.gmail.com --user me@gmail.com --access-token-file token.txt',
  ],
  demo: [
    '# The check as it runs against Microsoft, on this machine:',
    'imap-oauth demo',
    '# A Microsoft-side failure reproduced, and its diagnosis (see --list for all):',
    'imap-oauth demo --scenario wrong-secret',
    '# POP3 and SMTP AUTH too, as JSON:',
    'imap-oauth demo --protocol imap,pop,smtp --json',
  ],
  explain: [
    'imap-oauth explain AADSTS7000215',
    "imap-oauth explain 'User is authenticated but not connected.'",
    '# A whole log from standard input:',
    'imap-oauth explain - < mail-client.log',
  ],
  setup: [
    '# The PowerShell that grants the app access to two mailboxes, to review and run:',
    'imap-oauth setup --client-id 3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21 --tenant contoso.onmicrosoft.com --mailbox a@contoso.com --mailbox b@contoso.com > grant.ps1',
    '# For POP3 and SMTP AUTH as well:',
    'imap-oauth setup --client-id 3f1b8a52-2c55-4d7a-9a3e-0c5f3e9d1b21 --tenant contoso.onmicrosoft.com --mailbox a@contoso.com --protocol imap,pop,smtp',
  ],
  logout: ['imap-oauth logout --token-cache ~/.imap-oauth-token.json'],
  completion: [
    'eval "$(imap-oauth completion bash)"     # bash: add to ~/.bashrc',
    'eval "$(imap-oauth completion zsh)"      # zsh: add to ~/.zshrc',
    'imap-oauth completion powershell | Out-String | Invoke-Expression   # PowerShell: add to $PROFILE',
  ],
  cert: ['imap-oauth cert new --out ./credential --days 365'],
  'cert new': [
    '# imap-oauth.key, imap-oauth.cer (upload it to the app registration) and imap-oauth.pem (for --cert):',
    'imap-oauth cert new --out ./credential --subject CN=mail-checker --days 365',
  ],
  sasl: [
    'imap-oauth sasl encode --user someone@contoso.com --token-file token.txt',
    'imap-oauth sasl decode sasl.txt',
  ],
  'sasl encode': [
    '# The XOAUTH2 string for a manual "A01 AUTHENTICATE XOAUTH2 <string>" (it carries the token):',
    'imap-oauth sasl encode --user someone@contoso.com --token-file token.txt',
    'imap-oauth sasl encode --user someone@contoso.com --token-file - --mech oauthbearer < token.txt',
  ],
  'sasl decode': [
    '# What a string from a log holds (the token itself stays hidden):',
    'imap-oauth sasl decode sasl.txt',
    'imap-oauth sasl decode --json < sasl.txt',
  ],
};

/** The section for `--help` of one command path, or "" when it has none. */
export function examplesText(path: string): string {
  const lines = EXAMPLES[path];
  return lines?.length ? `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n` : '';
}
