// A one-line progress bar on stderr for batch runs on a terminal: done / total / failures / rate.
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
