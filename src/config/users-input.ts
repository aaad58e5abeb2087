// --users-file PATH|- as `test` and `setup` read it: the file (or stdin) through the bounded input
// reader, parsed by users-file.ts, each entry with where it came from for error messages.
import { ConfigError, errorMessage } from '../errors.js';
import { readInputFile } from './files.js';
import { parseUsersFile } from './users-file.js';

/** One entry; `origin` ("--users-file PATH line N") is made only when a message needs it. */
export class UserEntry {
  readonly level = 'flag' as const;
  constructor(
    readonly value: string,
    private readonly line: number,
    private readonly where: string,
  ) {}

  get origin(): string {
    return `--users-file ${this.where} line ${this.line}`;
  }
}

/** Where the file is, as messages name it. */
export const usersFileWhere = (path: string): string => (path === '-' ? 'standard input' : path);

/** Every entry of the users file; an unreadable or malformed file is a ConfigError naming it. */
export function readUsersFile(path: string, cwd: string): UserEntry[] {
  const where = usersFileWhere(path);
  let parsed: ReturnType<typeof parseUsersFile>;
  try {
    parsed = parseUsersFile(readInputFile(path, '--users-file', cwd));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`--users-file ${where} ${errorMessage(err)}`);
  }
  // 100,000 entries: no per-entry message string (a batch's peak memory was its users file).
  return parsed.users.map((u) => new UserEntry(u.value, u.line, where));
}
