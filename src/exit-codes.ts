// The exit codes are a public interface: CI pipelines branch on them. Change one only deliberately.
export const ExitCode = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  TOKEN: 3,
  CONNECTION: 4,
  NO_MECHANISM: 5,
  AUTH_REJECTED: 6,
  MAILBOX: 7,
  INTERRUPTED: 130,
  TERMINATED: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP: ReadonlyArray<readonly [ExitCode, string]> = [
  [0, 'passed'],
  [1, 'unexpected internal error'],
  [2, 'usage or configuration error'],
  [3, 'token could not be acquired'],
  [4, 'connection failed (DNS, TCP, TLS, greeting)'],
  [5, 'the server offers no usable SASL mechanism'],
  [6, 'authentication rejected'],
  [7, 'authenticated, but the mailbox could not be opened'],
  [130, 'interrupted (Ctrl-C); the mailboxes that finished are still reported'],
  [143, 'terminated (SIGTERM: a CI cancel, docker stop); the mailboxes that finished are still reported'],
];

export function exitCodeHelpText(): string {
  return EXIT_CODE_HELP.map(([code, text]) => `  ${code}  ${text}`).join('\n');
}
