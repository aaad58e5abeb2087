// GitHub Actions workflow commands: one ::error annotation per failed mailbox.
import { printable, printableLines } from '../printable.js';
import type { MailboxResult } from '../result.js';

// Workflow-command escaping (the runner decodes these): in data `%`, CR and LF; in a property also
// `:` and `,`, which would end the property. Without it a server's text could end the annotation
// and start a workflow command of its own on the next line.
export const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
export const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function githubAnnotation(r: MailboxResult): string | null {
  if (r.ok) return null;
  const top = r.diagnosis.find((d) => d.severity === 'error') ?? r.diagnosis[0];
  // The log view is a terminal of its own: control characters are shown, not obeyed (printable.ts).
  const title = printable(`imap-oauth: ${r.user} failed at ${r.failedStage} (exit ${r.exitCode})`);
  const message = printableLines(top ? `${top.summary}\nFix: ${top.fix}` : (r.stages.find((s) => !s.ok)?.detail ?? 'failed'));
  return `::error title=${escapeProperty(title)}::${escapeData(message)}\n`;
}
