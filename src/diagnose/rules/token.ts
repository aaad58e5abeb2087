// The token endpoint could not be asked, or did not answer usefully (no AADSTS verdict).
import type { TokenError } from '../../token/types.js';
import type { DiagnosisContext, Rule } from '../types.js';

interface TransportEntry {
  kind: TokenError['kind'];
  id: string;
  keys: string[];
  summary: string;
  fix: string;
}

const TABLE: TransportEntry[] = [
  { kind: 'timeout', id: 'token-timeout', keys: ['token endpoint timeout', 'network_error timed out'], summary: 'The token endpoint did not answer in time', fix: 'Check outbound HTTPS to the authority host (proxy, firewall), or raise --timeout.' },
  { kind: 'network', id: 'token-network', keys: ['network_error', 'endpoints_resolution_error', 'ECONNRESET', 'socket hang up'], summary: 'The token endpoint could not be reached', fix: 'Check --authority-host, DNS and outbound HTTPS (port 443); behind a TLS-inspecting proxy pass its CA with --ca-file.' },
  { kind: 'empty-token', id: 'token-empty', keys: ['empty access token', 'no access token'], summary: 'The token endpoint answered without an access token', fix: 'Check --authority-host: it must be the Microsoft identity platform (or a faithful stand-in).' },
  {
    kind: 'misbehaved',
    id: 'token-server-misbehaved',
    keys: ['reply is larger than', 'access_token that is', 'endless body', 'Cannot create a string longer than'],
    summary: 'The token endpoint misbehaved: its reply is not what a token endpoint sends',
    fix: 'Check --authority-host (and --proxy, --connect-to): something other than the Microsoft identity platform answers there, or a proxy in between rewrites the reply.',
  },
  { kind: 'client', id: 'token-client-error', keys: ['client_assertion', 'private key'], summary: 'The token could not be requested', fix: 'Check the credential (certificate file, secret) and run again with --debug for details.' },
];

export const tokenTransportRules: Rule[] = TABLE.map((entry) => ({
  id: entry.id,
  stage: 'token',
  keys: entry.keys,
  applies: (ctx: DiagnosisContext) => ctx.token.error?.kind === entry.kind,
  diagnose: (ctx: DiagnosisContext) => ({ summary: entry.summary, cause: ctx.token.error?.message ?? entry.summary, fix: entry.fix }),
}));
