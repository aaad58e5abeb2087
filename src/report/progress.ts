// Progress on a terminal's stderr: a one-line bar for batch runs (done / total / failures / rate), and
// for one mailbox each stage as it ends.
import { Chalk } from 'chalk';
import type { StageResult } from '../imap/types.js';
import { printable } from '../printable.js';

export interface Progress {
  tick(ok: boolean): void;
  clear(): void;
}

export function createProgress(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = performance.now();
  let done = 0;
  let failed = 0;
  let last = 0;
  const width = 24;
  const draw = (force = false) => {
    const now = performance.now();
    if (!force && now - last < 80 && done < total) return;
    last = now;
    const filled = Math.round((done / total) * width);
    const rate = done / Math.max((now - started) / 1000, 0.001);
    stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}  ${failed} failed  ${rate.toFixed(1)}/s `);
  };
  draw(true);
  return {
    tick(ok) {
      done++;
      if (!ok) failed++;
      draw(done === total);
    },
    clear() {
      stream.write('\r\x1b[2K');
    },
  };
}

/**
 * One mailbox on a terminal: each stage on its own line the moment it ends (token, connect, …), so a
 * hang shows where it is instead of seconds of silence; the full report follows on stdout. Stages
 * print in the order they end: the token request overlaps the first connection.
 */
export interface StageLog {
  /** `protocol` is named only when several are checked ("" for the token, which serves them all). */
  stage(stage: StageResult, protocol?: string): void;
  /** After the last stage: one blank line, so the report starts apart. */
  end(): void;
}

export interface StageLogOptions {
  color: boolean;
  /** Terminal columns: a line is cut to fit, never wrapped. */
  width: number;
  /** Shown first, at once: what is being checked. */
  heading?: string;
}

const STAGE_WIDTH = 'authenticate'.length;

export function createStageLog(write: (text: string) => void, opts: StageLogOptions): StageLog {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  let any = false;
  if (opts.heading) write(`${c.dim(printable(opts.heading))}\n`);
  return {
    stage(stage, protocol) {
      any = true;
      const name = `${protocol !== undefined ? `${protocol.padEnd(4)} ` : ''}${stage.name.padEnd(STAGE_WIDTH)}`;
      const ms = `${stage.ms} ms`.padStart(8);
      const head = `  ${stage.ok ? '✔' : '✖'} ${name} ${ms}  `;
      // Server text may hold anything: one printable line, cut to the terminal.
      const room = Math.max(opts.width - head.length - 1, 10);
      const detail = printable(stage.detail);
      const shown = detail.length > room ? `${detail.slice(0, room - 1)}…` : detail;
      const mark = stage.ok ? c.green('✔') : c.red('✖');
      write(`  ${mark} ${name} ${c.dim(ms)}  ${shown}\n`);
    },
    end() {
      if (any) write('\n');
    },
  };
}
