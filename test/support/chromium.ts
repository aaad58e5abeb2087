// Debian's Chromium, headless, for the HTML report's end-to-end test: a screenshot and the DOM as
// the browser parsed it. Each run gets a fresh profile directory, its own process group (Chromium
// forks helpers) and a deadline after which that group is killed. A missing browser is a failure,
// in CI and locally alike (`apt-get install chromium`, as .ci/run and the global setup do).
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';

export function requireChromium(): void {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(`${CHROMIUM} is missing: the HTML report is checked in a real browser (apt-get install chromium, or bash .ci/run)`);
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function chromium(args: string[], timeoutMs: number): Promise<Run> {
  const profile = mkdtempSync(join(tmpdir(), 'imap-oauth-chromium-'));
  const all = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--disable-background-networking', `--user-data-dir=${profile}`, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(CHROMIUM, all, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: profile } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(killGroup, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      killGroup(); // helpers left behind by the browser process, if any
      rmSync(profile, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Png {
  bytes: Buffer;
  width: number;
  height: number;
}

/** Reads the PNG signature and the IHDR chunk (width, height); throws for anything else. */
export function readPng(bytes: Buffer): Png {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(signature)) throw new Error(`not a PNG (${bytes.length} bytes)`);
  if (bytes.toString('latin1', 12, 16) !== 'IHDR') throw new Error('PNG without IHDR first');
  return { bytes, width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** A screenshot of the file at `width`×`height` CSS pixels. */
export async function screenshot(file: string, out: string, size = { width: 1200, height: 2000 }, timeoutMs = 60_000): Promise<Png> {
  const run = await chromium([`--screenshot=${out}`, `--window-size=${size.width},${size.height}`, '--hide-scrollbars', pathToFileURL(file).href], timeoutMs);
  if (run.code !== 0) throw new Error(`chromium --screenshot exited ${run.code}: ${run.stderr.slice(-2000)}`);
  return readPng(readFileSync(out));
}

/** The DOM after parsing, as Chromium serialises it (--dump-dom). */
export async function dumpDom(file: string, timeoutMs = 60_000): Promise<string> {
  const run = await chromium(['--dump-dom', pathToFileURL(file).href], timeoutMs);
  if (run.code !== 0 || !run.stdout.includes('</html>')) throw new Error(`chromium --dump-dom exited ${run.code}: ${run.stderr.slice(-2000)}`);
  return run.stdout;
}

/**
 * The text a reader sees in serialised DOM: each tag a space, runs of white space one space (so
 * table cells and lines read "a b c"), the serialiser's references decoded.
 */
export function domText(dom: string): string {
  const body = dom.replace(/<head>[\s\S]*?<\/head>/i, '');
  return body
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&');
}
