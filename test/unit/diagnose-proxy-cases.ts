// Diagnosis cases for a failed proxy (src/diagnose/rules/proxy.ts): on the token request and on the
// IMAP connection, each finding names the proxy, where it was set, and replaces the IMAP guesses.
import type { ProxyFailure } from '../../src/net/proxy.js';
import { ctx, probe, tokenError, type Case } from './diagnose-fixtures.js';

const PROXY = 'http://alice@proxy.contoso.com:3128';
const failure = (over: Partial<ProxyFailure> & Pick<ProxyFailure, 'kind'>): ProxyFailure => ({
  proxy: PROXY, origin: 'HTTPS_PROXY', target: 'login.microsoftonline.com:443', message: `proxy ${PROXY} (HTTPS_PROXY): the reason`, ...over,
});
const viaToken = (f: ProxyFailure) => ctx({ token: tokenError({ kind: f.kind === 'timeout' ? 'timeout' : 'network', message: f.message, proxy: f }) });
const viaImap = (f: ProxyFailure, code = 'EPROXY') =>
  ctx({ probe: probe('connect', { errorCode: code, errorMessage: f.message, proxy: { ...f, origin: 'ALL_PROXY', target: 'outlook.office365.com:993' } }) });

export const PROXY_CASES: Case[] = [
  { name: 'token: proxy not there', ctx: viaToken(failure({ kind: 'unreachable', message: `proxy ${PROXY} (HTTPS_PROXY): cannot be reached (ECONNREFUSED)` })), id: 'proxy-unreachable', summary: [PROXY, 'HTTPS_PROXY'], cause: ['The token endpoint', 'ECONNREFUSED'], fix: ['NO_PROXY=login.microsoftonline.com'] },
  { name: 'token: proxy silent', ctx: viaToken(failure({ kind: 'timeout' })), id: 'proxy-unreachable', summary: ['did not answer'] },
  { name: 'token: 407', ctx: viaToken(failure({ kind: 'auth-required', status: 407, message: `proxy ${PROXY} (HTTPS_PROXY): needs authentication (HTTP 407)` })), id: 'proxy-auth-required', summary: [PROXY], fix: ['USER:PASSWORD@proxy.contoso.com:3128', 'never on the command line'] },
  { name: 'token: credentials refused', ctx: viaToken(failure({ kind: 'auth-required', status: 407, message: 'needs authentication (HTTP 407): the user name or password in the URL was not accepted' })), id: 'proxy-auth-required', summary: ['refused the credentials'] },
  { name: 'imap: proxy not there', ctx: viaImap(failure({ kind: 'unreachable' })), id: 'proxy-unreachable', summary: ['ALL_PROXY'], cause: ['The mail connection'], fix: ['NO_PROXY=outlook.office365.com'] },
  { name: 'imap: 403 by the proxy', ctx: viaImap(failure({ kind: 'refused', status: 403 })), id: 'proxy-refused', summary: ['outlook.office365.com:993'], cause: ['rules do not allow'], fix: ['allow CONNECT to outlook.office365.com:993'] },
  { name: 'imap: 502 from the proxy', ctx: viaImap(failure({ kind: 'refused', status: 502 })), id: 'proxy-refused', cause: ['could not reach the destination'] },
  { name: 'imap: refused by the proxy, not the server: no imap-refused', ctx: viaImap(failure({ kind: 'unreachable' }), 'ECONNREFUSED'), id: 'proxy-unreachable' },
];
