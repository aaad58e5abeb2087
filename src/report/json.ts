// --json: exactly one document on stdout. The evidence stays internal; what scripts need is here.
import type { MailboxResult, RunResult } from '../result.js';

export function toJsonResult(r: MailboxResult) {
  return {
    user: r.user,
    protocol: r.protocol ?? 'imap',
    host: r.host,
    port: r.port,
    ok: r.ok,
    exitCode: r.exitCode,
    failedStage: r.failedStage,
    stages: r.stages,
    transcript: r.transcript,
    diagnosis: r.diagnosis.map((d) => ({ id: d.id, summary: d.summary, cause: d.cause, fix: d.fix, severity: d.severity, ...(d.docs ? { docs: d.docs } : {}) })),
    backend: r.backend ?? null,
    messages: r.messages ?? null,
  };
}

/** A user's sign-in kept in --token-cache: when, and how long its refresh token had gone unused (null: not recorded). */
function signInFields(run: RunResult) {
  const c = run.credential;
  if (!c || !['device-code', 'interactive', 'refresh-token'].includes(c.kind)) return {};
  return {
    signedInAt: c.signedInAt ?? null,
    refreshTokenIssuedAt: c.refreshTokenIssuedAt ?? null,
    refreshTokenAgeDays: c.refreshTokenAgeDays ?? null,
    refreshTokenExpiresAt: c.refreshTokenExpiresAt ?? null,
    refreshTokenRenewed: c.refreshTokenRenewed ?? false,
  };
}

export function renderJson(run: RunResult): string {
  const doc = {
    ok: run.ok,
    exitCode: run.exitCode,
    token: {
      source: run.token.source,
      ok: run.token.ok,
      claims: run.token.claims ?? {},
      expiresAt: run.token.expiresAt ?? null,
      ms: run.token.ms,
      requests: run.token.requests,
      fromCache: run.token.fromCache ?? false,
      ...(run.token.error ? { error: run.token.error } : {}),
    },
    results: run.results.map(toJsonResult),
    // notAfter: the certificate credential's end (null where the tool cannot see one: a secret, a sign-in).
    credential: { kind: run.credential?.kind ?? run.token.source, notAfter: run.credential?.notAfter ?? null, ...signInFields(run) },
    // --check-app: the registration's secrets and certificates (never a value: Graph returns none).
    ...(run.app ? { app: appJson(run.app) } : {}),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function appJson(app: NonNullable<RunResult['app']>) {
  return {
    appId: app.appId,
    ok: app.ok,
    displayName: app.displayName ?? null,
    credentials: app.credentials.map((c) => ({ kind: c.kind, name: c.name, displayName: c.displayName ?? null, keyId: c.keyId ?? null, ...(c.kind === 'secret' ? { hint: c.hint ?? null } : { thumbprint: c.thumbprint ?? null }), endDateTime: c.endDateTime ?? null, daysLeft: c.daysLeft ?? null, state: c.state })),
    findings: app.findings.map((d) => ({ id: d.id, summary: d.summary, cause: d.cause, fix: d.fix, severity: d.severity, ...(d.docs ? { docs: d.docs } : {}) })),
    ...(app.error ? { error: app.error } : {}),
  };
}
