// One (mailbox, protocol) pair → one ProbeResult, for `test --protocol`. Each protocol's module
// is loaded only when asked for: a POP- or SMTP-only run never loads imapflow.
import type { ProbeTarget } from '../imap/probe.js';
import type { ProbeResult } from '../imap/types.js';
import type { Redactor } from '../redact.js';

export type Protocol = 'imap' | 'pop' | 'smtp';
export const PROTOCOLS: readonly Protocol[] = ['imap', 'pop', 'smtp'];

/** Where each protocol listens by default on Exchange Online (host per cloud: see config/clouds.ts). */
export const DEFAULT_PORTS: Record<Protocol, number> = { imap: 993, pop: 995, smtp: 587 };

export interface ProbeOneTarget extends ProbeTarget {
  /** SMTP --send-test: the recipient of the one test message; absent: no message is sent. */
  sendTo?: string;
}

export async function probeOne(
  protocol: Protocol,
  target: ProbeOneTarget,
  accessToken: string | Promise<string | undefined>,
  redactor: Redactor,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  switch (protocol) {
    case 'pop': {
      const { probePop } = await import('./pop3.js');
      return probePop(target, accessToken, redactor, signal);
    }
    case 'smtp': {
      const { probeSmtp } = await import('./smtp.js');
      return probeSmtp(target, accessToken, redactor, signal);
    }
    case 'imap': {
      const { probeMailbox } = await import('../imap/probe.js');
      const result = await probeMailbox(target, accessToken, redactor, signal);
      result.evidence.protocol = 'imap';
      return result;
    }
  }
}
