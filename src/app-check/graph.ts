// --check-app, the network part: an app-only Microsoft Graph token (the app's own credential, scope
// <graph>/.default; reading needs the Application.Read.All application permission), then one GET of
// the app registration, through the same network client as the token endpoint (deadline, --ca-file,
// --proxy/HTTPS_PROXY, --connect-to). Never throws: a failure is an AppCheck with an error.
import { CLOUDS } from '../config/clouds.js';
import type { Config } from '../config/types.js';
import { errorMessage } from '../errors.js';
import { acquireToken } from '../token/acquire.js';
import { createNetworkClient } from '../token/network-client.js';
import { tokenErrorLine } from '../token/types.js';
import { graphError, readApplication, type AppCheck } from './evaluate.js';

export function graphUrl(config: Pick<Config, 'cloud' | 'clientId'>): { host: string; url: string } {
  const host = CLOUDS[config.cloud].graphHost;
  // The alternate key appId='…' reads the registration by its client ID (the ID is a validated GUID).
  return { host, url: `${host}/v1.0/applications(appId='${config.clientId}')?$select=displayName,passwordCredentials,keyCredentials` };
}

export async function checkApp(config: Config, onSecret: (value: string) => void, now = () => new Date()): Promise<AppCheck> {
  const { host, url } = graphUrl(config);
  const base = { appId: config.clientId ?? '', url, credentials: [] };
  // Not through --token-cache: the mail token is written there at the same moment, and one of two
  // concurrent writers would lose its token.
  const token = await acquireToken({ ...config, scope: `${host}/.default`, tokenCachePath: undefined }, { onSecret });
  if (!token.token) return { ...base, ok: false, error: { kind: 'token', message: `no Graph token: ${tokenErrorLine(token.report.error)}`, ...(token.report.error?.httpStatus ? { httpStatus: token.report.error.httpStatus } : {}) } };
  onSecret(token.token);
  const client = createNetworkClient({
    timeoutMs: config.timeoutMs,
    caPem: config.caPem,
    connectTo: config.connectTo,
    proxy: config.proxy,
    onSecret,
    networkError: (message) => new Error(message),
  });
  try {
    const res = await client.sendGetRequestAsync<unknown>(url, { headers: { authorization: `Bearer ${token.token}`, accept: 'application/json' } });
    if (res.status !== 200) return { ...base, ok: false, error: graphError(res.status, res.body) };
    const app = readApplication(res.body, now(), config.output.warnDays);
    if (!app) return { ...base, ok: false, error: { kind: 'malformed', httpStatus: 200, message: 'Graph answered without passwordCredentials or keyCredentials' } };
    return { ...base, ok: true, ...app };
  } catch (err) {
    return { ...base, ok: false, error: { kind: 'network', message: errorMessage(err).split('\n')[0]! } };
  }
}
