// The proxy itself failed (--proxy, HTTPS_PROXY, ALL_PROXY): not there, wants authentication, or
// refused the tunnel. Named apart from the server's own failures: the fix is on the proxy's side.
import type { ProxyFailure } from '../../net/proxy.js';
import type { DiagnosisContext, Rule } from '../types.js';

/** The proxy failure of this run: the token request's, else the mail connection's. */
function failureOf(ctx: DiagnosisContext): (ProxyFailure & { use: string }) | undefined {
  if (ctx.token.error) return ctx.token.error.proxy && { ...ctx.token.error.proxy, use: 'the token endpoint' };
  const mail = ctx.probe?.failedStage === 'connect' ? ctx.probe.evidence.proxy : undefined;
  return mail ? { ...mail, use: 'the mail connection' } : undefined;
}

/** What the IMAP, POP3 and SMTP rules would guess at from the same failed connection. */
const GUESSES = ['imap', 'pop', 'smtp'].flatMap((p) => [`${p}-connection-lost`, `${p}-refused`, `${p}-dns`, `${p}-timeout`, `${p}-not-${p}`]);

const where = (f: ProxyFailure) => `${f.proxy} (from ${f.origin})`;
const exempt = (f: ProxyFailure) => `If ${f.target.replace(/:\d+$/, '')} should be reached directly instead, list it in NO_PROXY (e.g. NO_PROXY=${f.target.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')}).`;

export const proxyRules: Rule[] = [
  {
    id: 'proxy-unreachable',
    stage: 'connect',
    supersedes: GUESSES,
    keys: ['proxy', 'HTTPS_PROXY', 'ALL_PROXY', 'proxy cannot be reached', 'Failed to setup proxy connection'],
    applies: (ctx) => failureOf(ctx)?.kind === 'unreachable' || failureOf(ctx)?.kind === 'timeout',
    diagnose: (ctx) => {
      const f = failureOf(ctx)!;
      return {
        summary: `The proxy ${where(f)} ${f.kind === 'timeout' ? 'did not answer' : 'cannot be reached'}`,
        cause: `${f.use[0]!.toUpperCase()}${f.use.slice(1)} goes through ${f.proxy}, and ${f.message.replace(/^proxy \S+ \([^)]*\): /, '')}: nothing was sent to ${f.target}.`,
        fix: `Check the proxy's host and port in ${f.origin} (is the proxy running, is this machine allowed to reach it?). ${exempt(f)}`,
      };
    },
  },
  {
    id: 'proxy-auth-required',
    stage: 'connect',
    supersedes: GUESSES,
    keys: ['407', 'Proxy Authentication Required', 'proxy authentication'],
    applies: (ctx) => failureOf(ctx)?.kind === 'auth-required',
    diagnose: (ctx) => {
      const f = failureOf(ctx)!;
      const given = /not accepted|did not accept/.test(f.message);
      return {
        summary: `The proxy ${where(f)} wants authentication${given ? ' and refused the credentials given' : ''}`,
        cause: `${f.message}. The tunnel to ${f.target} for ${f.use} was not opened.`,
        fix:
          `Put the proxy's user name and password in the URL: http://USER:PASSWORD@${f.proxy.replace(/^[a-z0-9]+:\/\/([^@]*@)?/i, '')} ` +
          `(percent-encode @ : / in them), in IMAP_OAUTH_PROXY, HTTPS_PROXY or ALL_PROXY — never on the command line; the password is never printed. ` +
          'A proxy that only accepts Windows sign-in (NTLM, Kerberos) cannot be used directly: run a local forwarding proxy (e.g. cntlm or px) and point the URL at it.',
      };
    },
  },
  {
    id: 'proxy-refused',
    stage: 'connect',
    supersedes: GUESSES,
    keys: ['proxy refused', 'CONNECT', '403 Forbidden', '502 Bad Gateway'],
    applies: (ctx) => failureOf(ctx)?.kind === 'refused',
    diagnose: (ctx) => {
      const f = failureOf(ctx)!;
      const port = /:(\d+)$/.exec(f.target)?.[1];
      const policy = f.status === 403 || f.status === 2;
      return {
        summary: `The proxy ${where(f)} refused the tunnel to ${f.target}`,
        cause: `${f.message}.${policy ? ` The proxy's rules do not allow a tunnel to this host or port${port ? ` (${port})` : ''}.` : f.status && f.status >= 500 ? ' The proxy could not reach the destination itself.' : ''}`,
        fix: `${policy ? `Ask the proxy's administrators to allow CONNECT to ${f.target} (HTTPS 443 for the token endpoint; for mail IMAP 993 or 143, POP3 995, SMTP 587).` : `Check that ${f.target} is reachable from the proxy.`} ${exempt(f)}`,
      };
    },
  },
];
