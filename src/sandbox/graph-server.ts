// The identity stand-in's Microsoft Graph route, just enough for --check-app:
// GET /v1.0/applications(appId='{id}')?$select=displayName,passwordCredentials,keyCredentials with an
// app-only Graph token this stand-in issued. It answers as Graph does: 401 for a missing or invalid
// token, 403 Authorization_RequestDenied without Application.Read.All, 404 for an unknown app, and
// never a secret's value (secretText null, a 3-character hint). Reach it under Graph's own host
// name with --connect-to graph.microsoft.com:443:127.0.0.1:PORT (the TLS certificate must name it).
import { X509Certificate, createHash, randomUUID, type KeyObject } from 'node:crypto';
import { verifyJwt } from './jwt.js';

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Graph's resource identifiers in each cloud: a token for any of them is a Graph token. */
export const GRAPH_RESOURCES = ['https://graph.microsoft.com', 'https://graph.microsoft.us', 'https://dod-graph.microsoft.us', 'https://microsoftgraph.chinacloudapi.cn'];
const READ_ROLES = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All'];
const DAY_MS = 86_400_000;

/** What the stand-in's app registration shows Graph: its secrets (with end dates) and certificates. */
export interface GraphApp {
  clientId: string;
  tenantId: string;
  displayName?: string;
  secrets?: { value: string; expired?: boolean; displayName?: string; endDateTime?: string }[];
  certificates?: string[];
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const guidFrom = (seed: string) => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

function graphJson(status: number, value: unknown, requestId: string): Reply {
  return { status, headers: { 'content-type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8', 'request-id': requestId, 'client-request-id': requestId }, body: JSON.stringify(value) };
}

function graphError(status: number, code: string, message: string, requestId: string): Reply {
  return graphJson(status, { error: { code, message, innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': requestId, 'client-request-id': requestId } } }, requestId);
}

/** The registration as Graph's application resource shows it (no secret value, ever). */
export function applicationResource(app: GraphApp, now = new Date()): Record<string, unknown> {
  const passwordCredentials = (app.secrets ?? []).map((s) => ({
    customKeyIdentifier: null,
    displayName: s.displayName ?? null,
    endDateTime: s.endDateTime ?? new Date(now.getTime() + (s.expired ? -1 : 365) * DAY_MS).toISOString(),
    hint: s.value.slice(0, 3),
    keyId: guidFrom(`secret:${s.value}`),
    secretText: null,
    startDateTime: new Date(now.getTime() - 30 * DAY_MS).toISOString(),
  }));
  const keyCredentials = (app.certificates ?? []).map((pem) => {
    const cert = new X509Certificate(pem);
    return {
      // Edm.Binary in JSON: base64 of the SHA-1 thumbprint, as Graph serves it.
      customKeyIdentifier: createHash('sha1').update(cert.raw).digest('base64'),
      displayName: cert.subject.split('\n').map((part) => part.trim()).filter(Boolean).join(', '),
      endDateTime: new Date(cert.validTo).toISOString(),
      key: null,
      keyId: guidFrom(`cert:${cert.fingerprint256}`),
      startDateTime: new Date(cert.validFrom).toISOString(),
      type: 'AsymmetricX509Cert',
      usage: 'Verify',
    };
  });
  return { displayName: app.displayName ?? null, passwordCredentials, keyCredentials };
}

/** GET /v1.0/…: the one Graph request the stand-in answers. */
export function graphReply(req: { method: string; path: string; query: Record<string, string>; authorization?: string }, apps: GraphApp[], signingKey: KeyObject): Reply {
  const requestId = randomUUID();
  const m = /^\/v1\.0\/applications\(appId='([^']*)'\)$/.exec(decodeURIComponent(req.path));
  if (req.method !== 'GET' || !m) return graphError(400, 'BadRequest', `Resource not found for the segment '${req.path.split('/')[2] ?? ''}'.`, requestId);
  const bearer = /^Bearer (\S+)$/.exec(req.authorization ?? '')?.[1];
  if (!bearer) return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.', requestId);
  let claims: Record<string, unknown>;
  try {
    claims = verifyJwt(bearer, signingKey).payload;
  } catch {
    return graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure.', requestId);
  }
  if (typeof claims.exp !== 'number' || claims.exp < Date.now() / 1000) return graphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.', requestId);
  if (![...GRAPH_RESOURCES, GRAPH_APP_ID].includes(String(claims.aud))) return graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.', requestId);
  const roles = Array.isArray(claims.roles) ? claims.roles : [];
  if (!roles.some((r) => READ_ROLES.includes(String(r)))) return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.', requestId);
  const app = apps.find((a) => a.clientId.toLowerCase() === m[1]!.toLowerCase() && a.tenantId.toLowerCase() === String(claims.tid).toLowerCase());
  if (!app) return graphError(404, 'Request_ResourceNotFound', `Resource '${m[1]}' does not exist or one of its queried reference-property objects are not present.`, requestId);
  const full = applicationResource(app);
  const select = req.query['$select']?.split(',').map((s) => s.trim()).filter(Boolean);
  const body = select?.length ? Object.fromEntries(select.filter((k) => k in full).map((k) => [k, full[k]])) : full;
  return graphJson(200, { '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#applications(${select?.join(',') ?? ''})/$entity`, ...body }, requestId);
}
