// What the IMAP exchange shows, stage by stage.
import { cloudOf, exchangeName, imapHostHint, imapServerHint } from '../cloud.js';
import * as ps from '../powershell.js';
import type { DiagnosisContext, Rule } from '../types.js';
import { claimsLookGood } from './claims.js';

const ev = (ctx: DiagnosisContext) => ctx.probe?.evidence;
const failedAt = (ctx: DiagnosisContext, ...stages: string[]) => !!ctx.probe && stages.includes(ctx.probe.failedStage ?? '');
const code = (ctx: DiagnosisContext) => ev(ctx)?.errorCode ?? '';
// Claims are checked before they enter a command (powershell.ts): a malformed one becomes a placeholder.
const psValues = (ctx: DiagnosisContext) => {
  const c = ctx.token.claims;
  return ps.checkedValues({
    clientId: { value: c?.appid ?? c?.azp ?? ctx.clientId, from: c?.appid ? "the token's appid" : c?.azp ? "the token's azp" : 'the client ID' },
    servicePrincipalId: { value: c?.oid, from: "the token's oid" },
    tenant: { value: c?.tid ?? ctx.tenant, from: c?.tid ? "the token's tid" : 'the tenant' },
    mailbox: ctx.user,
  });
};
const lines = (...xs: (string | false | undefined)[]) => xs.filter(Boolean).join('\n');
/** TLS alerts that mean the other end does not speak TLS at all (plain IMAP, HTTP, …). */
const NOT_TLS = /^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL|HTTP_REQUEST|RECORD_LAYER_FAILURE)$/;
const CONNECT_CODES = /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|ECONNREFUSED|NO_MECHANISM)$/;
const target = (ctx: DiagnosisContext) => `${ctx.host}:${ctx.probe!.port}`;

const TLS_TEXT: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate is for another host name',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in an untrusted (self-signed) root',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate chain cannot be verified (unknown issuer)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the server certificate is not trusted here',
};

const VIOLATION_CAUSE: Record<string, string> = {
  preauth: 'The server greeted with PREAUTH: it claims the session is logged in already, without a login. Nothing can be checked then, and on a STARTTLS connection PREAUTH is how a man in the middle keeps the session in clear text, so the token was not sent.',
  flood: 'The server kept sending lines that answer nothing; a check of one mailbox needs a few dozen.',
};

export const imapRules: Rule[] = [
  {
    id: 'imap-server-misbehaved',
    stage: 'connect',
    keys: ['PREAUTH', 'protocol violation', 'LineTooLarge', 'LiteralTooLarge', 'ResponseTooLarge', 'flood', 'oversized literal'],
    applies: (ctx) => !!ctx.probe && !ctx.probe.ok && !!ev(ctx)?.protocolViolation,
    // The session was cut because of what the server did: its other symptoms are not the cause.
    supersedes: ['imap-timeout', 'imap-bye', 'imap-connection-lost', 'imap-not-imap', 'imap-authenticate-bad', 'imap-sasl-error-challenge', 'imap-auth-rejected', 'imap-auth-rejected-service-principal', 'imap-token-rejected', 'imap-folder-failed'],
    diagnose: (ctx) => {
      const v = ev(ctx)!.protocolViolation!;
      return {
        summary: `The server at ${target(ctx)} broke the protocol in the ${ctx.probe!.failedStage ?? 'connect'} stage: ${v.detail}`,
        cause: `${VIOLATION_CAUSE[v.kind] ?? 'It sent more than any IMAP server sends for this check (a line, literal or response over the limits this tool sets so that a server cannot exhaust its memory).'} This is no verdict on the token or on the mailbox's permissions.`,
        fix: `Check --host and --port: something other than the mail service answers at ${target(ctx)} (a proxy, a wrong address, a broken or hostile server). ${imapServerHint(ctx)}. Run again with --verbose to see the exchange.`,
      };
    },
  },
  {
    id: 'imap-timeout',
    stage: 'connect',
    keys: ['timeout', 'timed out'],
    applies: (ctx) => !!ev(ctx)?.timedOut && !ev(ctx)?.notImap,
    diagnose: (ctx) => {
      const stage = ev(ctx)!.timedOut!;
      const where: Record<string, string> = {
        connect: `No greeting from ${ctx.host}:${ctx.probe!.port} in time: a firewall drops the traffic, the port is wrong, or the server is overloaded.`,
        capability: 'The server stopped answering before authentication.',
        authenticate: 'The server did not answer AUTHENTICATE in time.',
        mailbox: 'The server did not answer the mailbox command in time.',
      };
      return {
        summary: `Timed out in the ${stage} stage`,
        cause: where[stage] ?? 'The server stopped answering.',
        fix: stage === 'connect' ? `Check that outbound TCP ${ctx.probe!.port} to ${ctx.host} is allowed (Test-NetConnection ${ctx.host} -Port ${ctx.probe!.port}), or raise --timeout.` : `Retry later or raise --timeout; if it persists, check ${ctx.authMode === 'generic' ? "the provider's service status" : 'the service health in the Microsoft 365 admin center'}.`,
      };
    },
  },
  {
    id: 'imap-not-imap',
    stage: 'connect',
    keys: ['not IMAP', 'garbage', 'unexpected greeting'],
    applies: (ctx) => failedAt(ctx, 'connect') && !!ev(ctx)?.notImap,
    diagnose: (ctx) => ({
      summary: `${target(ctx)} does not speak IMAP: its first line is not an IMAP greeting`,
      cause: `An IMAP server starts with "* OK …"; this one sent "${ev(ctx)!.notImap!.firstLine}". --host or --port names another service (or a proxy that is not passing IMAP through).`,
      fix: `${imapServerHint(ctx)}. Check what listens there: openssl s_client -connect ${target(ctx)} -quiet`,
    }),
  },
  {
    id: 'imap-dns',
    stage: 'connect',
    keys: ['ENOTFOUND', 'EAI_AGAIN', 'DNS'],
    applies: (ctx) => failedAt(ctx, 'connect') && /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL)$/.test(code(ctx)),
    diagnose: (ctx) => ({
      summary: `The host name ${ctx.host} does not resolve`,
      cause: 'DNS has no address for it: a typo in --host, or no working DNS on this machine.',
      fix: `Check --host (${imapHostHint(ctx)}) and try: nslookup ${ctx.host}`,
    }),
  },
  {
    id: 'imap-refused',
    stage: 'connect',
    keys: ['ECONNREFUSED', 'connection refused'],
    applies: (ctx) => failedAt(ctx, 'connect') && code(ctx) === 'ECONNREFUSED',
    diagnose: (ctx) => ({
      summary: `Nothing accepts connections on ${ctx.host}:${ctx.probe!.port}`,
      cause: 'The port is closed: wrong --port, or no IMAP server there.',
      fix: `Exchange Online listens for IMAP over TLS on port 993: use --port 993 (now ${ctx.probe!.port}).`,
    }),
  },
  {
    id: 'imap-tls-untrusted',
    stage: 'connect',
    keys: ['certificate', 'TLS', 'self signed', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID'],
    applies: (ctx) => failedAt(ctx, 'connect') && !!ev(ctx)?.tlsFailure,
    diagnose: (ctx) => {
      const f = ev(ctx)!.tlsFailure!;
      const peer = f.peer ? ` The server presented: subject ${f.peer.subject}; issuer ${f.peer.issuer}; valid ${f.peer.validFrom} to ${f.peer.validTo}${f.peer.altNames ? `; names ${f.peer.altNames}` : ''}.` : '';
      return {
        summary: `TLS verification failed: ${TLS_TEXT[f.code] ?? f.code}`,
        cause: `The certificate could not be trusted (${f.code}).${peer} A TLS-inspecting proxy or a wrong --host are the usual reasons.`,
        fix: f.code === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? `Use the host name the certificate is issued for (${imapHostHint(ctx)}).`
          : 'If a corporate proxy re-signs TLS, pass its CA with --ca-file PATH. (--insecure skips verification and exposes the token: for a lab only.)',
      };
    },
  },
  {
    id: 'imap-bye',
    stage: 'connect',
    keys: ['BYE'],
    applies: (ctx) => !!ctx.probe && !ctx.probe.ok && !!ev(ctx)?.bye && !ev(ctx)?.timedOut,
    diagnose: (ctx) => {
      const stage = ctx.probe!.failedStage;
      const cause: Record<string, string> = {
        connect: 'The server refused the session before anything was sent (too many connections from this address, maintenance, or a policy on this client).',
        capability: 'The server ended the session before authentication (overload, maintenance, or a policy on this client).',
        authenticate: 'The server ended the session instead of answering AUTHENTICATE: usually after repeated failed logins, or a policy that blocks this client.',
        mailbox: `The login was accepted, then the server ended the session when asked to open ${ctx.user}: the mailbox may be moving or its server unavailable, or a policy ends sessions for this app.`,
      };
      return {
        summary: `The server closed the session with BYE in the ${stage} stage: ${ev(ctx)!.bye}`,
        cause: cause[stage ?? ''] ?? 'The server ended the session.',
        fix: 'Retry in a few minutes (--retries N retries this); if it persists, check the Microsoft 365 service health (admin center → Health → Service health → Exchange Online).',
      };
    },
  },
  {
    id: 'imap-connection-lost',
    stage: 'connect',
    keys: ['ECONNRESET', 'closed', 'NoConnection'],
    applies: (ctx) => !!ctx.probe && !ctx.probe.ok && !ev(ctx)?.timedOut && !ev(ctx)?.bye && !ev(ctx)?.tlsFailure && !ev(ctx)?.notImap
      && !ev(ctx)?.serverResponse && !ev(ctx)?.saslChallenge && !CONNECT_CODES.test(code(ctx)),
    diagnose: (ctx) => {
      const stage = ctx.probe!.failedStage ?? 'connect';
      const cause: Record<string, string> = {
        connect: NOT_TLS.test(code(ctx))
          ? 'The TLS handshake got an answer that is not TLS: the port serves plain text (IMAP with STARTTLS on 143, or HTTP). This tool uses implicit TLS, as Exchange Online does on port 993.'
          : 'The server (or something in between) closed the connection before an IMAP greeting, or sent something that is not IMAP: check that --host and --port name an IMAP-over-TLS server.',
        capability: 'The server closed the connection before it listed its capabilities.',
        authenticate: 'The server closed the connection in answer to AUTHENTICATE, without a NO, BAD or BYE: no verdict on the token. Exchange Online answers a refused token with "NO AUTHENTICATE failed.", so a dropped line usually comes from something in between (a firewall or proxy that inspects IMAP and cuts long command lines: the XOAUTH2 line is about 2–3 KB) or from a server-side fault.',
        mailbox: `The login was accepted, then the connection was closed without an answer when ${ctx.user} was to be opened.`,
      };
      return {
        summary: `The connection failed in the ${stage} stage: ${ev(ctx)!.errorMessage ?? 'connection lost'}`,
        cause: cause[stage] ?? 'The connection was closed without an answer.',
        fix: stage === 'connect' || stage === 'capability'
          ? `${imapServerHint(ctx)}. Run again with --verbose to see the whole exchange.`
          : lines(
            'Run again (--retries N retries dropped connections).',
            `If it happens every time, look for a firewall or proxy between this machine and ${ctx.host} that inspects IMAP or limits line length, and try from another network.`,
            `${imapServerHint(ctx)}.`,
          ),
      };
    },
  },
  {
    id: 'imap-no-mechanism',
    stage: 'capability',
    keys: ['AUTH=XOAUTH2', 'XOAUTH2', 'AUTH=OAUTHBEARER', 'mechanism'],
    applies: (ctx) => code(ctx) === 'NO_MECHANISM',
    diagnose: (ctx) => {
      const mech = ev(ctx)!.mechanism ?? 'XOAUTH2';
      const offers = (ev(ctx)!.capabilities ?? []).filter((c) => /^AUTH=/i.test(c));
      const other = mech === 'XOAUTH2' ? 'OAUTHBEARER' : 'XOAUTH2';
      return {
        summary: `The server does not offer AUTH=${mech}`,
        cause: `Its capabilities: ${(ev(ctx)!.capabilities ?? []).join(' ') || 'none'}. This server does not accept ${mech} for IMAP${ctx.authMode === 'generic' ? '' : ', or this is not Exchange Online (which offers XOAUTH2)'}.`,
        fix: offers.includes(`AUTH=${other}`)
          ? `It offers ${other}: run again with --mech ${other.toLowerCase()}.`
          : ctx.authMode === 'generic'
            ? `This server offers no OAuth 2.0 login for IMAP with either mechanism: check --host and the server's configuration (Dovecot: auth_mechanisms = xoauth2 oauthbearer).`
            : `Point --host at ${cloudOf(ctx).imapHost} (${exchangeName(ctx)}). For Exchange Server on-premises, OAuth for IMAP needs hybrid modern authentication.`,
      };
    },
  },
  {
    id: 'imap-authenticate-bad',
    stage: 'authenticate',
    keys: ['BAD', 'Command Error', 'Command Argument Error'],
    applies: (ctx) => failedAt(ctx, 'authenticate') && ev(ctx)?.serverStatus === 'BAD' && !ev(ctx)?.saslChallenge,
    diagnose: (ctx) => ({
      summary: `The server did not accept the AUTHENTICATE command itself: BAD ${ev(ctx)!.serverResponse ?? ''}`.trim(),
      cause: 'BAD is a protocol error, not a verdict on the token: the server could not parse the command or its SASL string (a malformed or oversized XOAUTH2 string, a user= it cannot read, or a proxy that mangles long lines).',
      fix: lines(
        `Check --user (${ctx.user}: the mailbox's primary SMTP address, plain ASCII) and that the token is a bare JWT; run again with --verbose to see the exchange.`,
        'If a proxy or firewall inspects IMAP between here and the server, check its line-length limit (the XOAUTH2 line is about 2–3 KB).',
      ),
    }),
  },
  {
    id: 'imap-sasl-error-challenge',
    stage: 'authenticate',
    keys: ['+ eyJ', 'error challenge', 'status', '401'],
    applies: (ctx) => failedAt(ctx, 'authenticate') && !!ev(ctx)?.saslChallenge,
    diagnose: (ctx) => {
      const ch = ev(ctx)!.saslChallenge!;
      return {
        summary: `The server rejected the token with an error challenge: status ${String(ch.status ?? '?')}${ch.scope ? `, scope ${String(ch.scope)}` : ''}`,
        cause: 'The server decoded the XOAUTH2 string and refused the bearer token (expired, wrong audience, bad signature, or missing scope/permission).',
        fix: ctx.authMode === 'generic'
          ? `Get a new token for ${ctx.user}${ch.scope ? ` with the scope the server names (${String(ch.scope)})` : " with the scope the server needs (Gmail: https://mail.google.com/)"}: an expired or revoked token, or one for another account, gets this answer too.`
          : claimsLookGood(ctx) ? 'Request a new token; check the token summary above against the scope the server asks for.' : 'See the token findings above; fix those first.',
      };
    },
  },
  {
    id: 'imap-auth-rejected-service-principal',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['AUTHENTICATE failed', 'NO AUTHENTICATE', 'AUTHENTICATIONFAILED', 'New-ServicePrincipal'],
    applies: (ctx) => failedAt(ctx, 'authenticate') && ev(ctx)?.serverStatus === 'NO' && !ev(ctx)?.saslChallenge && !ev(ctx)?.timedOut && claimsLookGood(ctx),
    diagnose: (ctx) => {
      const v = psValues(ctx);
      return {
        summary: 'Exchange Online rejected a good-looking token: NO AUTHENTICATE failed',
        cause: "The token is valid for Exchange Online and has IMAP.AccessAsApp, so the refusal is on the Exchange side: the app's service principal is not registered in Exchange Online, or it was registered with the App registration's object ID instead of the Enterprise application's, or it has no permission on this mailbox.",
        fix: lines(
          'In Exchange Online PowerShell:',
          `  ${ps.connectCommand(v.tenant, cloudOf(ctx).exchangeEnvironment)}`,
          `  ${ps.getServicePrincipal(v)}`,
          `  ${ps.newServicePrincipal(v)}`,
          `  ${ps.addMailboxPermission(v)}`,
          `  ${ps.getMailboxPermission(v)}`,
          ...v.leftOut,
          !v.servicePrincipalId && ps.SP_OBJECT_ID_HINT,
          v.servicePrincipalId && `(${v.servicePrincipalId} is the token's oid: the object ID of the Enterprise application.)`,
          ps.PROPAGATION_NOTE,
        ),
      };
    },
  },
  {
    id: 'imap-auth-rejected',
    onlyFor: 'entra',
    stage: 'authenticate',
    keys: ['AUTHENTICATE failed', 'NO', 'BAD'],
    // A refusal the service-principal rule does not cover: bad-looking claims, or no NO/BAD status.
    applies: (ctx) => failedAt(ctx, 'authenticate') && !!ev(ctx)?.serverResponse && ev(ctx)?.serverStatus !== 'BAD' && !ev(ctx)?.saslChallenge && !ev(ctx)?.timedOut
      && (!claimsLookGood(ctx) || ev(ctx)?.serverStatus !== 'NO'),
    diagnose: (ctx) => ({
      summary: `The server rejected the login: ${ev(ctx)!.serverStatus ?? ''} ${ev(ctx)!.serverResponse}`.replace(/\s+/g, ' '),
      cause: ctx.token.claims ? 'The token findings above explain the most likely reason.' : 'The token could not be decoded, so it cannot be checked here.',
      fix: 'Fix the token findings above, then run again.',
    }),
  },
  {
    id: 'imap-token-rejected',
    onlyFor: 'generic',
    stage: 'authenticate',
    keys: ['AUTHENTICATE failed', 'AUTHENTICATIONFAILED', 'Invalid credentials'],
    applies: (ctx) => failedAt(ctx, 'authenticate') && !!ev(ctx)?.serverResponse && !ev(ctx)?.saslChallenge && !ev(ctx)?.timedOut && ev(ctx)?.serverStatus !== 'BAD',
    diagnose: (ctx) => ({
      summary: `The server rejected the token: ${ev(ctx)!.serverStatus ?? ''} ${ev(ctx)!.serverResponse}`.replace(/\s+/g, ' ').trim(),
      cause: `The server refused this bearer token for ${ctx.user}: it has expired or was revoked, it was issued for another scope or client, or it belongs to another account than the one named in user=.`,
      fix: `Get a fresh token for ${ctx.user} with the scope the server needs (Gmail: https://mail.google.com/), then run again; --verbose shows the whole exchange.`,
    }),
  },
  {
    id: 'imap-authenticated-not-connected',
    onlyFor: 'entra',
    stage: 'mailbox',
    keys: ['User is authenticated but not connected', 'Add-MailboxPermission', 'FullAccess', 'Set-CASMailbox'],
    applies: (ctx) => failedAt(ctx, 'mailbox') && /authenticated but not connected/i.test(ev(ctx)?.serverResponse ?? ''),
    diagnose: (ctx) => {
      const v = psValues(ctx);
      return {
        summary: `Logged in, but Exchange will not open ${ctx.user}: BAD User is authenticated but not connected`,
        cause: `AUTHENTICATE succeeded, so the app is known to Exchange; the mailbox is the problem: the service principal has no FullAccess on ${ctx.user}, IMAP is disabled for that mailbox, or ${ctx.user} is not the mailbox's address (user= must name an existing mailbox).`,
        fix: lines(
          'In Exchange Online PowerShell:',
          `  ${ps.connectCommand(v.tenant, cloudOf(ctx).exchangeEnvironment)}`,
          `  ${ps.addMailboxPermission(v)}`,
          `  ${ps.getMailboxPermission(v)}`,
          `  ${ps.getCasMailboxImap(ctx.user)}`,
          `  ${ps.setCasMailboxImap(ctx.user)}`,
          ...v.leftOut,
          !v.servicePrincipalId && ps.SP_OBJECT_ID_HINT,
          ps.PROPAGATION_NOTE,
        ),
      };
    },
  },
  {
    id: 'imap-folder-failed',
    stage: 'mailbox',
    keys: ['EXAMINE', "Mailbox doesn't exist", 'folder'],
    applies: (ctx) => failedAt(ctx, 'mailbox') && !!ev(ctx)?.serverResponse && !/authenticated but not connected/i.test(ev(ctx)?.serverResponse ?? ''),
    diagnose: (ctx) => ({
      summary: `The folder could not be opened: ${ev(ctx)!.serverStatus ?? ''} ${ev(ctx)!.serverResponse}`.replace(/\s+/g, ' '),
      cause: 'Authentication worked; the folder name is wrong or not visible to this app.',
      fix: 'Check --folder (default INBOX; names are case-sensitive except INBOX).',
    }),
  },
];
