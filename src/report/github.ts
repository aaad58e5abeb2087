// GitHub Actions workflow commands: one ::error annotation per failed mailbox.
import type { MailboxResult } from '../result.js';

// Workflow-command escaping (the runner decodes these).
const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const prop = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function githubAnnotation(r: MailboxResult): string | null {
  if (r.ok) return null;
  const top = r.diagnosis.find((d) => d.severity === 'error') ?? r.diagnosis[0];
  const title = `imap-oauth: ${r.user} failed at ${r.failedStage} (exit ${r.exitCode})`;
  const message = top ? `${top.summary}\nFix: ${top.fix}` : (r.stages.find((s) => !s.ok)?.detail ?? 'failed');
  return `::error title=${prop(title)}::${data(message)}\n`;
}
