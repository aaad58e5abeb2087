// Every file the tool writes (token cache, reports) and the files it reads that may be special
// (FIFOs, devices): nothing but a regular file of its own is ever replaced, no write follows a
// symbolic link, and no read blocks past its deadline. Node has no atomic-write helper that
// opens the temporary file with O_EXCL|O_NOFOLLOW, hence this module.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, readSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, fileErrorReason } from './errors.js';

/** What is at a path now, without following a symbolic link. */
export type Existing = 'missing' | 'regular' | 'symlink' | 'fifo' | 'directory' | 'device' | 'socket';

const KIND_TEXT: Record<Exclude<Existing, 'missing' | 'regular'>, string> = {
  symlink: 'a symbolic link',
  fifo: 'a FIFO (named pipe)',
  directory: 'a directory',
  device: 'a device',
  socket: 'a socket',
};

// Windows has no O_NOFOLLOW (nor FIFOs); 0 leaves the flag out there.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

function kindOf(st: Stats): Existing {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFile()) return 'regular';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'device';
}

export function inspectExisting(path: string): Existing {
  try {
    return kindOf(lstatSync(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}

/** "a symbolic link" etc. for a kind that is neither missing nor a regular file. */
export function kindText(kind: Existing): string {
  return kind === 'missing' ? 'missing' : kind === 'regular' ? 'a regular file' : KIND_TEXT[kind];
}

function refusal(kind: Existing): Error {
  // fileErrorReason() shows the message of a code it does not know: it reads as written.
  return fileError(`it is ${kindText(kind)}: refusing to write to it (give the path of a regular file)`, 'EREFUSED');
}

/** Throws (a coded error) when the path is there but is not a regular file. */
function assertReplaceable(path: string): void {
  const kind = inspectExisting(path);
  if (kind !== 'missing' && kind !== 'regular') throw refusal(kind);
}

/** Refuses a path that is there but is not a regular file: `what` is the flag, `shown` the path as typed. */
export function refuseSpecial(path: string, what: string, shown = path): void {
  let kind: Existing;
  try {
    kind = inspectExisting(path);
  } catch (err) {
    throw new ConfigError(`cannot write ${what} ${shown}: ${fileErrorReason(err)}`);
  }
  if (kind !== 'missing' && kind !== 'regular') {
    throw new ConfigError(`${what} ${shown} is ${kindText(kind)}: refusing to write to it (give the path of a regular file)`);
  }
}

/** A new, empty file next to `path` that nobody else can have opened, linked or pre-created. */
function createTemp(path: string, mode: number): { tmp: string; fd: number } {
  const dir = dirname(path);
  for (let attempt = 0; ; attempt++) {
    const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, mode);
      return { tmp, fd };
    } catch (err) {
      // A name collision is astronomically unlikely; a planted file at a random name even more so.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
    }
  }
}

function cleanup(tmp: string): void {
  try {
    unlinkSync(tmp);
  } catch {
    // already gone
  }
}

function whyNotWritable(err: unknown, path: string): string {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `its directory ${dirname(path)} does not exist`;
  return fileErrorReason(err);
}

/**
 * Config time, before any network I/O: the path is a regular file or absent, and a file can be
 * created in its directory (found now, not after a whole batch). Nothing is left behind.
 */
export function checkWritable(path: string, what: string, shown = path): void {
  refuseSpecial(path, what, shown);
  try {
    const { tmp, fd } = createTemp(path, 0o600);
    closeSync(fd);
    cleanup(tmp);
  } catch (err) {
    throw new ConfigError(`cannot write ${what} ${shown}: ${whyNotWritable(err, path)}`);
  }
}

/**
 * Writes `data` to a fresh temporary file in the same directory and renames it over `path`:
 * readers see the old file or the new one, never half of one, and a symbolic link, FIFO or
 * device at `path` is refused, never written through or replaced. `mode` 0o600 (a secret) is
 * set on open and exactly again with fchmod; any other mode is created under the umask.
 * `beforeReplace` runs right before the rename and may throw to refuse. Throws coded file
 * errors for the caller to word. (No fsync: a cache or report lost to a power cut is written
 * again by the next run, and the rename keeps the old one whole meanwhile.)
 */
export function writeAtomic(path: string, data: string | Buffer, mode: number, beforeReplace?: () => void): void {
  assertReplaceable(path);
  const { tmp, fd } = createTemp(path, mode);
  let renamed = false;
  try {
    try {
      if (mode === 0o600) fchmodSync(fd, 0o600);
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    } finally {
      closeSync(fd);
    }
    // Checked again just before the rename: the window for a swap is this one call.
    assertReplaceable(path);
    beforeReplace?.();
    renameSync(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) cleanup(tmp);
  }
}

export interface AtomicOptions {
  /** Permission bits: 0o600 for a secret, else e.g. 0o644 under the umask. */
  mode: number;
  /** The flag, for messages. */
  what: string;
  /** Called right before the rename (e.g. to check the file there is still one of ours); throws to refuse. */
  beforeReplace?: () => void;
}

/** writeAtomic with a one-line ConfigError naming `what` (exit 2). */
export function writeFileAtomic(path: string, text: string | Buffer, opts: AtomicOptions): void {
  try {
    writeAtomic(path, text, opts.mode, opts.beforeReplace);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot write ${opts.what} ${path}: ${whyNotWritable(err, path)}`);
  }
}

export interface ReadOptions {
  /** Larger is refused: a device like /dev/zero never ends. */
  maxBytes: number;
  /** How long a FIFO or device may take to deliver its content. */
  waitMs: number;
  /** Refuse a symbolic link (our own files) instead of following it (inputs: Kubernetes mounts secrets as links). */
  noFollow?: boolean;
}

export const INPUT_MAX_BYTES = 16 * 1024 * 1024;

function fileError(message: string, code: string): Error {
  // fileErrorReason() shows the message of a code it does not know: these read as written.
  return Object.assign(new Error(message), { code });
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Reads a whole file without ever blocking past `waitMs`: opened non-blocking (a FIFO with no
 * writer does not hang the open), a FIFO or device polled until end of file or the deadline,
 * a regular file read as usual. `<(pass show x)` (a pipe) works; a FIFO nobody writes to, or a
 * terminal, ends with an error after `waitMs`. Errors carry a code for fileErrorReason().
 */
export function readBounded(path: string, opts: ReadOptions): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | O_NONBLOCK | (opts.noFollow ? O_NOFOLLOW : 0));
  } catch (err) {
    if (opts.noFollow && (err as NodeJS.ErrnoException).code === 'ELOOP') throw fileError('it is a symbolic link', 'ELOOP');
    if ((err as NodeJS.ErrnoException).code === 'ENXIO') throw fileError('it is a socket', 'ENXIO');
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw fileError('it is a directory', 'EISDIR');
    const special = !st.isFile();
    const deadline = Date.now() + opts.waitMs;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(64 * 1024);
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        n = -1; // a writer is there but has sent nothing yet
      }
      if (n > 0) {
        total += n;
        if (total > opts.maxBytes) throw fileError(`larger than ${Math.round(opts.maxBytes / 1024 / 1024)} MiB`, 'EFBIG');
        chunks.push(buf.subarray(0, n));
        continue;
      }
      // End of file. A FIFO says so too before its writer has opened it: wait for data then.
      if (n === 0 && !(st.isFIFO() && total === 0)) break;
      if (!special) break;
      if (Date.now() >= deadline) {
        throw fileError(`nothing ${total ? 'more ' : ''}arrived within ${Number((opts.waitMs / 1000).toFixed(1))} s (${st.isFIFO() ? 'a FIFO nobody finished writing to' : 'a device that does not end'})`, 'ETIMEDOUT');
      }
      sleepSync(10);
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** A report flag's path at config time: not empty, a regular file or absent, in a writable directory. */
export function resolveReportPath(what: string, given: string, cwd: string): string {
  if (!given.trim()) throw new ConfigError(`${what} needs a path: the file to write the report to`);
  const path = resolve(cwd, given);
  checkWritable(path, what, given);
  return path;
}
