// --html FILE: the page written through the redacting sink (markup: the marker stays text, not a
// tag), with what the configuration knows and the result does not: tenant, client ID, version.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/types.js';
import type { FileOptions, Sink } from '../io.js';
import type { RunResult } from '../result.js';
import { renderHtml } from './html.js';

type WriteReport = (io: Sink, path: string, text: string, flag: string, opts?: FileOptions) => void;

/**
 * The package's version. This module sits at dist/report/ (tsc) or in a chunk of the bundle
 * (dist/chunks/), so the package.json is looked for upwards rather than at a fixed path.
 */
function toolVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'imap-oauth' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: one level up
    }
  }
  return 'unknown';
}

export function writeHtmlReport(io: Sink, config: Config, run: RunResult, writeReport: WriteReport, title?: string): void {
  const path = config.output.htmlPath;
  if (!path) return;
  const page = renderHtml(run, { generatedAt: new Date(), version: toolVersion(), tenant: config.tenant, clientId: config.clientId, title });
  writeReport(io, path, page, '--html', { markup: true });
}
