// Wires commander to the commands. Nothing heavy is imported here: --help and --version stay
// fast, and MSAL/imapflow load only when a command needs them.
import { Argument, Command, CommanderError, Option, type OutputConfiguration } from 'commander';
import { createRequire } from 'node:module';
import { errorMessage, UserError } from './errors.js';
import { ExitCode, exitCodeHelpText } from './exit-codes.js';
import { Redactor } from './redact.js';
import { createIo } from './io.js';
import { looksLikeSecret } from './secret-shape.js';
import { printable, printableLines } from './printable.js';
import { examplesText } from './help-examples.js';
import { CLOUD_NAMES } from './config/clouds.js';
import { ENV } from './config/sources.js';
import { AUTH_MODES, FLOWS } from './config/validate.js';
import { PROTOCOLS } from './probe/dispatch.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const NAGIOS_EXIT_HELP = '  With --nagios: 0 OK, 1 WARNING (certificate expiring within --warn-days; with --check-app also a secret or certificate of the app registration), 2 CRITICAL (a check failed, DNS and timeouts included, or the certificate expired; with --check-app also one of the app registration credentials), 3 UNKNOWN (usage or internal error, interrupted)';
const MAIN_HELP_AFTER = `${examplesText('')}\nExit codes:\n${exitCodeHelpText()}\n${NAGIOS_EXIT_HELP}\n\nStart with:  imap-oauth demo   (a local sandbox, no Microsoft account needed)`;

/** The top-level --help text, written to dist/help.txt at build time for the launcher's fast path. */
export function mainHelpText(): string {
  const program = buildProgram(async () => undefined, { writeOut: () => undefined, writeErr: () => undefined });
  return `${program.helpInformation()}${MAIN_HELP_AFTER}\n`;
}

/** Nagios' UNKNOWN: with --nagios, usage and internal errors exit with it. */
const NAGIOS_UNKNOWN = 3;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * Help groups (commander's optionsGroup): each add…Options function opens its group, so an option
 * added on one line inside it is listed under that heading. Values of enumerated options are listed
 * with choices(), not commander's .choices(): config/validate.ts checks them and suggests a near
 * miss ("did you mean interactive?"), which commander's own error would not.
 */
export const HELP_GROUPS = { credential: 'Credential:', connection: 'Connection:', batch: 'Batch:', output: 'Output:', other: 'Other:' } as const;

/** "(choices: a, b, c; default: a)" for a description. */
export const choices = (names: readonly string[], fallback?: string) => `(choices: ${names.join(', ')}${fallback ? `; default: ${fallback}` : ''})`;
/** "[env NAME]": the variable config resolution reads for the option (flag > environment > .env). */
const env = (...names: string[]) => `[env ${names.join('; ')}]`;
const MECHANISMS = ['xoauth2', 'oauthbearer'] as const;

function addCredentialOptions(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.credential)
    .option('--tenant <id>', `tenant GUID or verified domain ${env(ENV.tenant)}`)
    .option('--client-id <guid>', `application (client) ID ${env(ENV.clientId)}`)
    .option('--client-secret-file <path|->', `read the client secret from a file or stdin ${env(ENV.secretFile, `or the value in ${ENV.secret}`)}`)
    .addOption(new Option('--client-secret <value>').hideHelp())
    .option('--cert <path>', `PEM (or .pfx/.p12) with the private key and the certificate (recommended) ${env(ENV.cert)}`)
    .option('--send-x5c', 'send the certificate in the assertion (x5c), for subject name / issuer authentication')
    .option('--cert-passphrase-file <path|->', `passphrase of an encrypted key ${env(ENV.certPassphraseFile, `or the value in ${ENV.certPassphrase}`)}`)
    .option('--access-token-file <path|->', `use a ready access token; skips the token request ${env(ENV.tokenFile)}`)
    .option('--flow <name>', `how the token is got: client-credentials (app-only), device-code or interactive (a user signs in; --user defaults to that user), refresh-token (reuse that sign-in from --token-cache) ${choices(FLOWS, 'client-credentials')}`)
    .option('--no-browser', 'interactive flow: print the sign-in URL instead of opening a browser')
    .option('--auth-mode <mode>', `entra: Microsoft 365; generic: a ready token (--access-token-file, JWT or opaque) for any IMAP server, e.g. Gmail ${choices(AUTH_MODES, 'entra')} ${env(ENV.authMode)}`)
    .option('--cloud <name>', `global, usgov (GCC High), usgov-dod or china (21Vianet): sets authority host, IMAP host and scope ${choices(CLOUD_NAMES, 'global')} ${env(ENV.cloud)}`)
    .option('--authority-host <url>', `identity platform ${env(ENV.authorityHost)} (default: the cloud's, https://login.microsoftonline.com)`)
    .option('--scope <scope>', `token scope ${env(ENV.scope)} (default: the cloud's, https://outlook.office365.com/.default)`)
    .option('--token-cache <path>', `keep the token in this file (mode 0600) for later runs ${env(ENV.tokenCache)}`)
    .option('--fresh-token', 'ignore a cached token')
    .option('--check-app', "also read the app registration's secrets and certificates (end dates) from Microsoft Graph with the app's own credential; needs the Graph application permission Application.Read.All");
}

function addConnectionOptions(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.connection)
    .option('--user <upn>', `mailbox to open (repeatable) ${env(ENV.user)}`, collect)
    .option('--protocol <list>', `the protocols to check, comma-separated or repeated; one token serves all ${choices(PROTOCOLS, 'imap')} ${env(ENV.protocol)}`, collect)
    .option('--host <host>', `mail server for every protocol ${env(ENV.host)} (default: the cloud's: outlook.office365.com for IMAP and POP, smtp.office365.com for SMTP)`)
    .option('--port <n>', `port, when one protocol is checked ${env(ENV.port)} (default: IMAP 993, POP 995 with implicit TLS; SMTP 587 with STARTTLS)`)
    .option('--send-test [rcpt]', 'SMTP: send one short test message to RCPT (default: the mailbox itself); without it no message is ever sent')
    .option('--folder <name>', 'folder to open read-only (default: INBOX)')
    .option('--mech <name>', `SASL mechanism: xoauth2 (Exchange Online) or oauthbearer (RFC 7628) ${choices(MECHANISMS, 'xoauth2')}`)
    .option('--timeout <seconds>', `deadline for each network step ${env(ENV.timeout)} (default: 15)`)
    .option('--starttls', 'plain IMAP upgraded with STARTTLS (default port 143) instead of implicit TLS')
    .option('--ca-file <path>', `trust this CA (PEM) too, for the mail servers and the token endpoint: added to Node's roots (its bundled Mozilla list, not the operating system's) and NODE_EXTRA_CA_CERTS; for the OS store run with NODE_OPTIONS=--use-openssl-ca (Linux), or --use-system-ca on Node 22+ ${env(ENV.caFile)}`)
    .option('--connect-to <rule>', 'HOST:PORT:ADDR:PORT2: connect to ADDR:PORT2 instead of HOST:PORT, TLS still verifying HOST (as curl; repeatable)', collect)
    .option('--proxy <url>', `proxy for the token endpoint and every mail connection (IMAP, POP, SMTP): http://[user:password@]host:port (CONNECT) or socks5://host:port ${env(ENV.proxy, 'otherwise HTTPS_PROXY for the token endpoint, ALL_PROXY for mail; NO_PROXY exempts hosts')}`)
    .option('--insecure', 'do not verify the mail server certificate (lab use only)');
}

function addBatchOptions(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.batch)
    .option('--users-file <path|->', 'mailboxes to open, one a line (# comments), or a CSV with a user/mail/upn column')
    .option('--concurrency <n>', `mailboxes probed at once ${env(ENV.concurrency)} (default: 8, at most 64)`)
    .option('--retries <n>', 'retry transient failures (resets, throttling) up to n times (default: 0)')
    .option('--rate <n/s|n/m>', `at most this many connection starts per second or minute across the batch, retries included (Exchange Online throttles connections per app and per mailbox) ${env(ENV.rate)} (default: no limit)`)
    .option('--resume <file>', "skip the checks a previous run's --jsonl output (this file, only read) already finished, passed or failed; append the new run's --jsonl to it with >>")
    .option('--shard <i/n>', `check only the i-th of n slices of the mailboxes (a stable hash of each address), e.g. one CI job per shard ${env(ENV.shard)}`);
}

function addOutputOptions(cmd: Command): Command {
  return cmd
    .optionsGroup(HELP_GROUPS.output)
    .option('--json', 'print one JSON document on stdout')
    .option('--jsonl', 'print one JSON line per mailbox as it finishes, then a summary line')
    .option('--junit <path>', 'write a JUnit XML report (one testcase per mailbox)')
    .option('--html <path>', 'write a self-contained HTML report for people: summary, causes with their fix, every check\'s stages and transcript')
    .option('--nagios', 'Nagios/Icinga plugin output on stdout; the exit code is then 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN')
    .option('--warn-days <n>', "warn when the certificate credential (with --check-app: any of the registration's secrets and certificates) expires within n days, or a cached sign-in's refresh token is within n days of Entra's 90-day inactivity limit (default: 30)")
    .option('--prometheus <path>', 'write a node_exporter textfile-collector file (atomically)')
    .option('--verbose', 'show everything: settings, full transcript, TLS details')
    .option('--no-color', 'no colours (also NO_COLOR)');
}

/** The last group: settings files, diagnostics of the tool itself, help. */
function addOtherOptions(cmd: Command, dotenv = true): Command {
  cmd.optionsGroup(HELP_GROUPS.other);
  if (dotenv) {
    cmd
      .option('--dotenv <path>', 'read settings from this .env file instead of ./.env (flags win over the environment, which wins over the file)')
      // The old spelling: Node itself reads `--env-file` in any argv and exits 9 when the file is missing.
      .addOption(new Option('--env-file <path>').hideHelp());
  }
  return cmd.option('--debug', 'print stack traces of internal errors').helpOption('-h, --help', 'display help for command');
}

export function buildProgram(run: (action: () => Promise<number>) => Promise<void>, output: OutputConfiguration): Command {
  const program = new Command()
    .name('imap-oauth')
    .description('Check that an app can read a Microsoft 365 mailbox over IMAP with OAuth 2.0 — and if not, why, and how to fix it.')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput(output)
    .addHelpText('after', MAIN_HELP_AFTER);

  const test = program
    .command('test')
    .description("get a token (app-only by default, a user's sign-in, or a ready one) and open the mailbox over IMAP, POP or SMTP, stage by stage")
    .addHelpText('after', `\nExit codes:\n${exitCodeHelpText()}\n${NAGIOS_EXIT_HELP}`);
  // The groups in the order --help lists them.
  addOtherOptions(addOutputOptions(addBatchOptions(addConnectionOptions(addCredentialOptions(test))))).action((opts: Record<string, unknown>) =>
    run(async () => {
      if (typeof opts.clientSecret === 'string') redactor.add(opts.clientSecret);
      if (opts.clientSecret !== undefined) {
        throw new UserError('a client secret is never accepted on the command line (it would show in ps and shell history): set IMAP_OAUTH_CLIENT_SECRET, or use --client-secret-file PATH or --client-secret-file - (stdin)');
      }
      // Before the users file is read: its 100,000 entries are the first thing a long batch allocates.
      if (opts.usersFile !== undefined) (await import('./batch/heap.js')).boundHeapGrowth();
      const [{ resolveConfig }, { earlyConnections }] = await Promise.all([import('./config/resolve.js'), import('./net/early-connect.js')]);
      const config = resolveConfig({ flags: opts, env: process.env, cwd: process.cwd(), stdoutIsTTY: !!process.stdout.isTTY, stderrIsTTY: !!process.stderr.isTTY, onSecret: (value) => void redactor.add(value) });
      // The connections start before the rest of the CLI loads (net/early-connect.ts).
      const early = earlyConnections(config);
      await early?.started;
      const { runTest } = await import('./commands/test.js');
      return runTest(config, redactor, createIo(redactor), { early });
    }),
  );

  const demo = program
    .command('demo')
    .description('run the whole check against a built-in local sandbox (no Microsoft account needed)')
    .optionsGroup('Sandbox:')
    .option('--scenario <name>', 'reproduce a Microsoft-side failure (see --list)')
    .option('--protocol <list>', `the protocols to check against the sandbox ${choices(PROTOCOLS, "imap, or the scenario's")}`, collect)
    .option('--list', 'list the scenarios');
  addOtherOptions(addOutputOptions(demo), false).action((opts: Record<string, unknown>) =>
    run(async () => {
      const { runDemo } = await import('./commands/demo.js');
      return runDemo(opts, redactor, createIo(redactor));
    }),
  );
  program
    .command('explain')
    .description('explain an AADSTS code, a server message or a whole pasted log (- reads stdin, or give a FILE), offline (exit 0 when something matched, 2 when not)')
    .argument('[code-or-text...]', 'e.g. AADSTS7000215, "User is authenticated but not connected", - (stdin) or a log file')
    .option('--json', 'print the evidence and the matches as JSON')
    .option('--no-color', 'no colours')
    // Pasted server text starts with "-" ("-ERR …"): words commander does not know are text, not options.
    .allowUnknownOption()
    .action((words: string[], opts: Record<string, unknown>) =>
      run(async () => {
        const { runExplain } = await import('./commands/explain.js');
        return runExplain(words, opts, createIo(redactor), redactor);
      }),
    );

  program
    .command('setup')
    .description('print the Exchange Online PowerShell script that lets an app read mailboxes over IMAP')
    .option('--client-id <guid>', 'application (client) ID')
    .option('--tenant <id>', 'tenant GUID or verified domain')
    .option('--service-id <guid>', "the Enterprise application's object ID (looked up when omitted)")
    .option('--mailbox <upn>', 'mailbox the app may read (repeatable)', collect)
    .option('--users-file <path|->', 'the mailboxes, one a line (# comments), or a CSV with a user/mail/upn column; one foreach loop over all of them')
    .option('--cloud <name>', `global, usgov (GCC High), usgov-dod or china (21Vianet) ${choices(CLOUD_NAMES, 'global')}`)
    .option('--protocol <list>', `what the app will use, comma-separated or repeated; each adds its permission and mailbox setting ${choices(PROTOCOLS, 'imap')}`, collect)
    .action((opts: Record<string, unknown>) =>
      run(async () => {
        const { runSetup } = await import('./commands/setup.js');
        return runSetup(opts, createIo(redactor));
      }),
    );
  program
    .command('logout')
    .description('delete the token cache file (access and refresh tokens) a --token-cache run left')
    .option('--token-cache <path>', `the token cache file ${env(ENV.tokenCache)}`)
    .action((opts: Record<string, unknown>) =>
      run(async () => {
        const { runLogout } = await import('./commands/logout.js');
        // The cache a run kept through IMAP_OAUTH_TOKEN_CACHE (environment, then ./.env) is the one to clear.
        const { loadEnvFile } = await import('./config/sources.js');
        const tokenCache = opts.tokenCache ?? (process.env[ENV.tokenCache] || loadEnvFile(undefined, process.cwd())?.vars[ENV.tokenCache] || undefined);
        return runLogout({ ...opts, tokenCache }, createIo(redactor), process.cwd());
      }),
    );

  program
    .command('completion')
    .description('print a shell completion script: eval "$(imap-oauth completion bash)", likewise zsh; PowerShell: imap-oauth completion powershell | Out-String | Invoke-Expression')
    .addArgument(new Argument('<shell>', 'bash, zsh or powershell').choices(['bash', 'zsh', 'powershell']))
    .action((shell: string) =>
      run(async () => {
        const { runCompletion } = await import('./commands/completion.js');
        return runCompletion(shell, program, createIo(redactor));
      }),
    );

  const cert = program
    .command('cert')
    .description('make a certificate credential for the app registration (see: cert new)');
  cert
    .command('new')
    .description('write an RSA key and a self-signed certificate to upload to the app registration')
    .option('--out <dir>', 'write the files into this directory, created if missing (default: the current directory)')
    .option('--subject <dn>', 'certificate subject (default: CN=imap-oauth)')
    .option('--days <n>', 'validity in days, 1 to 730 (default: 365)')
    .option('--force', 'replace existing imap-oauth.key, .cer and .pem')
    .action((opts: Record<string, unknown>) =>
      run(async () => {
        const { runCertNew } = await import('./commands/cert.js');
        return runCertNew(opts, createIo(redactor), process.cwd());
      }),
    );
  const sasl = program
    .command('sasl')
    .description('encode or decode a SASL XOAUTH2/OAUTHBEARER initial response, offline');
  sasl
    .command('encode')
    .description('print the base64 SASL string for a mailbox and an access token (it carries the token: treat it as a secret)')
    .option('--user <upn>', 'mailbox the string logs in to')
    .option('--token-file <path|->', 'the access token (bare, "Bearer <token>" or the token endpoint JSON); - reads stdin')
    .option('--mech <name>', `SASL mechanism ${choices(MECHANISMS, 'xoauth2')}`)
    .option('--host <host>', 'OAUTHBEARER host= field (default: outlook.office365.com)')
    .option('--port <n>', 'OAUTHBEARER port= field (default: 993)')
    .option('--show-secrets', 'also print the decoded string, token included, on stderr')
    .action((opts: Record<string, unknown>) =>
      run(async () => {
        const { runSaslEncode, unredactedIo } = await import('./commands/sasl.js');
        // The string is the product here; --show-secrets is the one place output is not redacted.
        return runSaslEncode(opts, opts.showSecrets === true ? unredactedIo() : createIo(redactor));
      }),
    );
  sasl
    .command('decode')
    .description("show what a SASL string holds: mechanism, user, host/port and the token's claims (the token itself only with --show-secrets)")
    .argument('[file]', 'a file holding the base64 string or a pasted "A01 AUTHENTICATE XOAUTH2 …" line; standard input when omitted or -')
    .option('--show-secrets', 'show the token itself')
    .option('--json', 'print one JSON document on stdout')
    .action((file: string | undefined, opts: Record<string, unknown>) =>
      run(async () => {
        const { runSaslDecode, unredactedIo } = await import('./commands/sasl.js');
        const words = file === undefined ? [] : [file];
        return runSaslDecode(words, opts, opts.showSecrets === true ? unredactedIo() : createIo(redactor));
      }),
    );
  // Every command's EXAMPLES section (src/help-examples.ts), last in its --help.
  const withExamples = (cmd: Command, path: string): void => {
    if (path) cmd.addHelpText('after', examplesText(path));
    for (const sub of cmd.commands) withExamples(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  withExamples(program, '');
  return program;
}

/**
 * commander quotes what it rejects: `--client-secrets=VALUE` (a typo) would print VALUE, and an
 * unknown command may be a pasted secret. Keep an option's name, never its value.
 */
export function withoutValues(message: string): string {
  return message
    .replace(/'(-{1,2}[^'=\s]+)=[^']*'/g, "'$1'")
    .replace(/'([^']{16,})'/g, (whole, word: string) => (looksLikeSecret(word) ? `(${word.length} characters, not shown)` : whole));
}

/** One redactor for the whole process: every secret seen anywhere is hidden everywhere. */
const redactor = new Redactor();

export async function main(argv: string[]): Promise<void> {
  const io = createIo(redactor);
  const debug = argv.includes('--debug');
  // A monitoring system reads stdout's first line and exit 3 for a check that could not run.
  const nagios = argv.includes('--nagios');
  const unknown = (message: string) => {
    io.out(`IMAP-OAUTH UNKNOWN - ${printable(message.split('\n')[0]!).replace(/\|/g, '/')}\n`);
    return NAGIOS_UNKNOWN;
  };
  const fail = (err: unknown) => {
    if (err instanceof UserError) {
      io.err(`imap-oauth: ${printableLines(err.message)}\n`); // may quote a value from a file or a server
      return nagios ? unknown(err.message) : err.exitCode;
    }
    io.err(`imap-oauth: internal error: ${printable(errorMessage(err).split('\n')[0]!)}${debug ? '' : ' (run with --debug for details)'}\n`);
    if (debug && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return nagios ? unknown(`internal error: ${errorMessage(err)}`) : ExitCode.INTERNAL;
  };
  process.on('uncaughtException', (err) => {
    process.exitCode = fail(err);
    process.exit();
  });
  process.on('unhandledRejection', (err) => {
    process.exitCode = fail(err);
    process.exit();
  });

  const program = buildProgram(
    async (action) => {
      try {
        process.exitCode = await action();
      } catch (err) {
        process.exitCode = fail(err);
      }
    },
    {
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      // One line: commander's message plus where to look.
      outputError: (s, write) => write(`imap-oauth: ${withoutValues(s.trim().replace(/^error: /, ''))} (see imap-oauth --help)\n`),
    },
  );
  try {
    await program.parseAsync(argv);
    if (argv.length <= 2) {
      // No command: nothing was checked, so this is a usage error, not a pass.
      program.outputHelp({ error: true });
      process.exitCode = ExitCode.USAGE;
    }
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version asked for exit 0; everything else commander rejects (unknown option,
      // missing argument, a command group without its subcommand) is a usage error.
      process.exitCode = err.exitCode === 0 ? ExitCode.OK : nagios ? unknown(`usage: ${withoutValues(err.message.replace(/^error: /, ''))}`) : ExitCode.USAGE;
      return;
    }
    process.exitCode = fail(err);
  }
}
