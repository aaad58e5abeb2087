// --html FILE: the page written through the redacting sink (markup: the marker stays text, not a
// tag), with what the configuration knows and the result does not: tenant, client ID, version.
import { createRequire } from 'node:module';
import type { Config } from '../config/types.js';
import type { FileOptions, Sink } from '../io.js';
import type { RunResult } from '../result.js';
import { renderHtml } from './html.js';

type WriteReport = (io: Sink, path: string, text: string, flag: string, opts?: FileOptions) => void;

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function writeHtmlReport(io: Sink, config: Config, run: RunResult, writeReport: WriteReport, title?: string): void {
  const path = config.output.htmlPath;
  if (!path) return;
  const page = renderHtml(run, { generatedAt: new Date(), version, tenant: config.tenant, clientId: config.clientId, title });
  writeReport(io, path, page, '--html', { markup: true });
}
