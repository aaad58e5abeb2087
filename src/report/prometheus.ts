// --prometheus: a node_exporter textfile-collector file (Prometheus text exposition format 0.0.4).
// No sample timestamps (the collector refuses them); node_textfile_mtime_seconds says how fresh it is.
import type { RunResult } from '../result.js';

/** Label values: backslash, double quote and newline escaped, as the exposition format requires. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

// HELP text: backslash and newline escaped (quotes stay as they are there).
const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

type Labels = Record<string, string>;
interface Metric {
  name: string;
  help: string;
  samples: { labels: Labels; value: number }[];
}

const labelText = (labels: Labels) => {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
};

// Prometheus reads Go float syntax; a plain decimal with up to 3 places is exact enough for ms.
const num = (n: number) => (Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000));

const epochSeconds = (iso: string | undefined) => {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
};

export function renderPrometheus(run: RunResult): string {
  const labelsOf = (r: RunResult['results'][number]) => ({ user: r.user, protocol: r.protocol ?? 'imap' });
  const metrics: Metric[] = [
    {
      name: 'imap_oauth_check_success',
      help: 'Whether the mailbox could be opened over this protocol with OAuth 2.0 (1) or not (0).',
      samples: run.results.map((r) => ({ labels: labelsOf(r), value: r.ok ? 1 : 0 })),
    },
    {
      name: 'imap_oauth_check_duration_seconds',
      help: 'Time the check took, all stages together, in seconds.',
      samples: run.results.map((r) => ({ labels: labelsOf(r), value: r.stages.reduce((a, s) => a + s.ms, 0) / 1000 })),
    },
    {
      name: 'imap_oauth_stage_duration_seconds',
      help: 'Time each stage of the check took (token, connect, capability, authenticate, mailbox, logout), in seconds.',
      samples: run.results.flatMap((r) => r.stages.map((s) => ({ labels: { ...labelsOf(r), stage: s.name }, value: s.ms / 1000 }))),
    },
  ];
  const tokenExpiry = run.token.ok ? epochSeconds(run.token.expiresAt) : undefined;
  if (tokenExpiry !== undefined) metrics.push({ name: 'imap_oauth_token_expiry_timestamp_seconds', help: 'When the access token used expires, as a Unix time.', samples: [{ labels: {}, value: tokenExpiry }] });
  const credentialExpiry = epochSeconds(run.credential?.notAfter);
  if (credentialExpiry !== undefined) {
    metrics.push({ name: 'imap_oauth_credential_expiry_timestamp_seconds', help: "When the app's certificate credential (notAfter of --cert) expires, as a Unix time.", samples: [{ labels: {}, value: credentialExpiry }] });
  }
  // --check-app: each secret and certificate of the app registration, by client ID, kind and name.
  const appCredentials = (run.app?.credentials ?? []).flatMap((c) => {
    const at = epochSeconds(c.endDateTime);
    return at === undefined ? [] : [{ labels: { app: run.app!.appId, kind: c.kind, name: c.kind === 'certificate' && c.thumbprint ? `${c.name} ${c.thumbprint}` : c.name }, value: at }];
  });
  if (appCredentials.length) {
    metrics.push({ name: 'imap_oauth_app_credential_expiry_timestamp_seconds', help: "When each client secret and certificate of the app registration expires (endDateTime, read from Microsoft Graph with --check-app), as a Unix time.", samples: appCredentials });
  }
  // One sample per server: the earliest notAfter seen for it (as blackbox_exporter's probe_ssl_earliest_cert_expiry).
  const tls = new Map<string, number>();
  for (const r of run.results) {
    const at = epochSeconds(r.evidence?.tls?.peer?.validTo ?? r.evidence?.tlsFailure?.peer?.validTo);
    if (at !== undefined) tls.set(r.host, Math.min(at, tls.get(r.host) ?? Infinity));
  }
  if (tls.size) {
    metrics.push({ name: 'imap_oauth_tls_cert_expiry_timestamp_seconds', help: "When the mail server's TLS certificate expires (its notAfter), as a Unix time.", samples: [...tls].map(([host, value]) => ({ labels: { host }, value })) });
  }
  const out: string[] = [];
  for (const m of metrics) {
    if (!m.samples.length) continue;
    out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} gauge`);
    // A repeated label set is invalid: the last check of a (user, protocol) pair wins.
    const seen = new Map<string, string>();
    for (const s of m.samples) seen.set(labelText(s.labels), `${m.name}${labelText(s.labels)} ${num(s.value)}`);
    out.push(...seen.values());
  }
  return `${out.join('\n')}\n`;
}
