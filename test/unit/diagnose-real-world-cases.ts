// Cases shaped like the failures people post (Entra error bodies, Exchange transcripts), one or
// more per rule added for issue 10. diagnose.test.ts runs them with every table-wide invariant;
// diagnose-real-world.test.ts adds the checks that are not one case each.
import { describeSecret } from '../../src/diagnose/secret-shape.js';
import { CLIENT, ctx, docsFor, goodToken, probe, serverError, TENANT, USER, type Case } from './diagnose-fixtures.js';

export const ALICE = 'alice@contoso.com';
const ALICE_OID = '0a0b0c0d-1111-4222-8333-444455556666';
const NOT_CONNECTED = { authenticated: true, serverStatus: 'BAD' as const, serverResponse: 'User is authenticated but not connected.' };
const AUTH_FAILED = { serverStatus: 'NO' as const, serverResponse: 'AUTHENTICATE failed.' };
/** A delegated v1 token of Alice's, for outlook.office.com, as Entra issues it. */
export const aliceToken = (over: Record<string, unknown> = {}) =>
  goodToken({ aud: 'https://outlook.office.com', roles: undefined, scp: 'IMAP.AccessAsUser.All User.Read', upn: ALICE, unique_name: ALICE, oid: ALICE_OID, ...over }, { source: 'access-token-file', requests: 0 });
const described = (code: number, text: string, over = {}) => serverError(code, { description: `AADSTS${code}: ${text}`, ...over });

export const AADSTS_REAL_CASES: Case[] = [
  {
    name: '7000218 in a device-code flow: allow public client flows, no secret',
    ctx: ctx({ credential: 'device-code', token: described(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.") }),
    id: 'aadsts-no-credential',
    summary: ['public client flows'],
    fix: ['Allow public client flows', 'Advanced settings', CLIENT],
    fixNot: ['IMAP_OAUTH_CLIENT_SECRET'],
  },
  { name: '7000218 in a refresh-token flow', ctx: ctx({ credential: 'refresh-token', token: serverError(7000218) }), id: 'aadsts-no-credential', fix: ['Allow public client flows'] },
  { name: '7000218 in a browser sign-in', ctx: ctx({ credential: 'interactive', token: serverError(7000218) }), id: 'aadsts-no-credential', fix: ['Allow public client flows'] },
  {
    name: "700016 naming another directory (display name): both IDs",
    ctx: ctx({ token: described(700016, `Application with identifier '${CLIENT}' was not found in the directory 'Fabrikam'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`, { oauthError: 'unauthorized_client' }) }),
    id: 'aadsts-app-not-found',
    summary: ["'Fabrikam'", CLIENT],
    cause: [TENANT, "Entra names 'Fabrikam'", 'single-tenant', 'another directory'],
    fix: [CLIENT, TENANT, 'Directory (tenant) ID', 'Application (client) ID'],
  },
  {
    name: '700016 with tenant consumers (a personal account against a work-only app)',
    ctx: ctx({ tenant: 'consumers', credential: 'device-code', token: described(700016, `Application with identifier '${CLIENT}' was not found in the directory 'consumers'.`) }),
    id: 'aadsts-app-not-found',
    fix: ['Supported account types', 'personal Microsoft accounts'],
  },
  {
    name: '7000215 with a quoted value (kept from a .env file): says so, never shows it',
    ctx: ctx({ secret: describeSecret('"abc8Q~aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"'), token: serverError(7000215, { httpStatus: 401 }) }),
    id: 'aadsts-invalid-secret',
    cause: ['starts and ends with a quote', 'Secret ID', 'mangled'],
    fix: ['Remove the quotes', '--client-secret-file'],
    fixNot: ['abc8Q~'],
  },
  {
    name: "7000215 with the secret's ID (GUID shape)",
    ctx: ctx({ secret: describeSecret('5d1c8b6e-0f4a-4b2e-9a7d-3c2b1a0f9e8d'), token: serverError(7000215, { httpStatus: 401 }) }),
    id: 'aadsts-invalid-secret',
    cause: ['36-character GUID shape of a Secret ID'],
    fix: ['Value', 'not its Secret ID'],
  },
  {
    name: '7000215 with a value shortened on the way (a shell ate part of it)',
    ctx: ctx({ secret: describeSecret('abc8Q~aaaaaaaaaaaaaaaa'), token: serverError(7000215, { httpStatus: 401 }) }),
    id: 'aadsts-invalid-secret',
    cause: ['22 characters long, not 40'],
  },
  {
    name: '7000215 with a well-shaped value: another app\'s or a deleted secret',
    ctx: ctx({ secret: describeSecret('abc8Q~aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'), token: serverError(7000215, { httpStatus: 401 }) }),
    id: 'aadsts-invalid-secret',
    cause: ['has the shape of a secret value'],
  },
  {
    name: '53005: a Conditional Access variant the table does not know, read from its text',
    ctx: ctx({ credential: 'device-code', token: described(53005, 'Application needs to enforce Intune protection policies.', { oauthError: 'invalid_grant' }) }),
    id: 'aadsts-device-not-compliant',
    summary: ['AADSTS53005', "read from Entra's text"],
    cause: ['Intune protection policies', 'approved client apps'],
    fix: ['Intune', 'Sign-in logs'],
    docs: docsFor(53005),
  },
  {
    name: 'an unknown code whose text names Conditional Access',
    ctx: ctx({ token: described(530099, 'Access has been blocked by Conditional Access policies for this workload identity.') }),
    id: 'aadsts-conditional-access',
    summary: ['AADSTS530099'],
    fix: ['Conditional Access'],
  },
  { name: 'an unknown code whose text names MFA', ctx: ctx({ credential: 'device-code', token: described(500599, 'You must use multi-factor authentication to access this resource.') }), id: 'aadsts-mfa-required', fix: ['complete MFA'] },
  { name: 'an unknown code whose text names consent', ctx: ctx({ credential: 'device-code', token: described(650099, 'The user or administrator has not consented to use the application.') }), id: 'aadsts-consent-required', fix: ['Grant admin consent'] },
  { name: 'an unknown code whose text names a location', ctx: ctx({ token: described(530098, 'Access has been blocked because the sign-in comes from a location that is not allowed.') }), id: 'aadsts-location-blocked', fix: ['named location', 'IP address'] },
  { name: 'an unknown code whose text names sign-in frequency', ctx: ctx({ credential: 'refresh-token', token: described(700099, 'The refresh token is invalid due to sign-in frequency checks.') }), id: 'aadsts-sign-in-frequency', fix: ['Sign in again'] },
  { name: 'security defaults (530035)', ctx: ctx({ token: described(530035, 'Access has been blocked by security defaults. This is due to the request using legacy auth or being deemed unsafe by security defaults policies.') }), id: 'aadsts-security-defaults', fix: ['legacy', 'device code'] },
  { name: 'device not compliant (53000)', ctx: ctx({ credential: 'device-code', token: serverError(53000) }), id: 'aadsts-device-not-compliant', docs: docsFor(53000) },
  { name: 'sign-in frequency (70043)', ctx: ctx({ credential: 'refresh-token', token: serverError(70043) }), id: 'aadsts-sign-in-frequency', fix: ['client credentials'] },
  { name: 'user at risk (53011)', ctx: ctx({ credential: 'device-code', token: serverError(53011) }), id: 'aadsts-risk-blocked', fix: ['Risky users'] },
  { name: 'public client sending a secret (700025)', ctx: ctx({ token: serverError(700025) }), id: 'aadsts-public-client-credential', fix: ['Allow public client flows'] },
  { name: 'tenant in a national cloud (90038)', ctx: ctx({ token: serverError(90038) }), id: 'aadsts-other-cloud', fix: ['--cloud'] },
  { name: 'client credentials against /common (50059)', ctx: ctx({ tenant: 'common', token: serverError(50059) }), id: 'aadsts-tenant-required', fix: ['now: common'] },
  { name: 'no Exchange Online subscription (650052)', ctx: ctx({ token: serverError(650052) }), id: 'aadsts-service-not-subscribed', fix: ['Exchange Online'] },
  { name: 'permission not in the registration (650057), delegated', ctx: ctx({ credential: 'device-code', token: serverError(650057) }), id: 'aadsts-permission-not-configured', fix: ['Delegated permissions → IMAP.AccessAsUser.All'] },
  { name: 'permission not in the registration (650057), app-only', ctx: ctx({ token: serverError(650057) }), id: 'aadsts-permission-not-configured', fix: ['Application permissions → IMAP.AccessAsApp'] },
  { name: 'single-tenant app through /common (50194)', ctx: ctx({ credential: 'device-code', tenant: 'common', token: serverError(50194) }), id: 'aadsts-account-type-not-supported', fix: ['Supported account types', '--tenant consumers'] },
  { name: 'redirect URI not registered (50011)', ctx: ctx({ credential: 'interactive', token: serverError(50011) }), id: 'aadsts-redirect-uri', fix: ['http://localhost', 'Mobile and desktop applications'] },
  { name: 'user declined consent (65004)', ctx: ctx({ credential: 'interactive', token: serverError(65004) }), id: 'aadsts-consent-declined', fix: ['Grant admin consent'] },
  { name: 'sessions revoked (50173)', ctx: ctx({ credential: 'refresh-token', token: serverError(50173) }), id: 'aadsts-session-revoked', fix: ['--flow device-code'] },
  { name: 'password grant with a wrong password (50126)', ctx: ctx({ token: described(50126, 'Error validating credentials due to invalid username or password.') }), id: 'aadsts-wrong-password', fix: ['--flow device-code'] },
  { name: 'a personal account against a work tenant (50020)', ctx: ctx({ credential: 'device-code', token: serverError(50020) }), id: 'aadsts-user-not-in-tenant', fix: ['--tenant consumers'] },
  { name: 'account locked (50053)', ctx: ctx({ credential: 'device-code', token: serverError(50053) }), id: 'aadsts-account-locked', fix: ['Failure reason'] },
  { name: 'account disabled (50057)', ctx: ctx({ credential: 'device-code', token: serverError(50057) }), id: 'aadsts-account-disabled', fix: ['Account enabled'] },
  { name: 'password expired (50055)', ctx: ctx({ credential: 'device-code', token: serverError(50055) }), id: 'aadsts-password-expired', fix: ['change the password'] },
  { name: 'silent sign-in, nobody signed in (50058)', ctx: ctx({ credential: 'interactive', token: serverError(50058) }), id: 'aadsts-login-required', fix: ['--flow device-code'] },
  { name: 'tenant restrictions (500021)', ctx: ctx({ credential: 'device-code', token: serverError(500021) }), id: 'aadsts-tenant-restricted', fix: ['Cross-tenant access settings'] },
  {
    name: '70011 in a delegated flow: the delegated scope, not /.default',
    ctx: ctx({ credential: 'device-code', scope: 'https://outlook.office.com/IMAP.AccessAsUser.All https://graph.microsoft.com/Mail.Read', token: described(70011, "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope https://outlook.office.com/IMAP.AccessAsUser.All https://graph.microsoft.com/Mail.Read is not valid.") }),
    id: 'aadsts-scope-not-default',
    fix: ['--scope https://outlook.office.com/IMAP.AccessAsUser.All'],
    fixNot: ['/.default'],
  },
];

export const DELEGATED_REAL_CASES: Case[] = [
  {
    name: "a delegated token for someone else's mailbox: OK, then not connected",
    ctx: ctx({ credential: 'access-token-file', tenant: undefined, clientId: undefined, token: aliceToken(), probe: probe('mailbox', NOT_CONNECTED) }),
    id: 'delegated-other-mailbox',
    summary: [`The token belongs to ${ALICE}, the mailbox is ${USER}`],
    cause: ['wrong account signed in', 'FullAccess'],
    fix: [`sign in as ${USER}`, `Add-MailboxPermission -Identity '${USER}' -User '${ALICE}' -AccessRights FullAccess`, 'about 30 minutes', `-Organization '${TENANT}'`],
    fixNot: ['New-ServicePrincipal', 'client-credentials'],
  },
  {
    name: "a delegated token for someone else's mailbox: NO AUTHENTICATE failed",
    ctx: ctx({ credential: 'device-code', token: aliceToken(), probe: probe('authenticate', AUTH_FAILED) }),
    id: 'delegated-other-mailbox',
    summary: [ALICE, USER],
    fixNot: ['New-ServicePrincipal'],
  },
  {
    name: 'a v2 delegated token names its user in preferred_username',
    ctx: ctx({ credential: 'access-token-file', token: aliceToken({ upn: undefined, unique_name: undefined, preferred_username: ALICE, ver: '2.0' }), probe: probe('mailbox', NOT_CONNECTED) }),
    id: 'delegated-other-mailbox',
    summary: [ALICE],
  },
  {
    name: "the user's own token refused: IMAP disabled or no mailbox",
    ctx: ctx({ user: ALICE, credential: 'device-code', token: aliceToken(), probe: { ...probe('authenticate', AUTH_FAILED), user: ALICE } }),
    id: 'delegated-own-mailbox-refused',
    fix: [`Set-CASMailbox -Identity '${ALICE}' -ImapEnabled $true`, 'about 30 minutes'],
    fixNot: ['New-ServicePrincipal'],
  },
  {
    name: 'an opaque token (a personal Microsoft account) refused',
    ctx: ctx({ user: 'someone@outlook.com', tenant: 'consumers', credential: 'access-token-file', token: { source: 'access-token-file', ok: true, ms: 0, requests: 0 }, probe: { ...probe('authenticate', AUTH_FAILED), user: 'someone@outlook.com' } }),
    id: 'imap-auth-rejected-opaque',
    cause: ['personal Microsoft accounts', 'someone@outlook.com'],
    fix: ['--tenant consumers', 'https://outlook.office.com/IMAP.AccessAsUser.All'],
    fixNot: ['New-ServicePrincipal'],
  },
];

export const CLAIM_REAL_CASES: Case[] = [
  {
    name: 'an opaque token: claim checks skipped, with a note',
    ctx: ctx({ tenant: 'consumers', credential: 'device-code', token: { source: 'device-code', ok: true, ms: 5, requests: 1 } }),
    id: 'token-opaque',
    cause: ['skipped'],
  },
  {
    name: 'a Graph-scoped delegated token: the fix names the delegated IMAP scope and shows aud/scp',
    ctx: ctx({ credential: 'access-token-file', token: aliceToken({ aud: 'https://graph.microsoft.com', scp: 'Mail.Read User.Read' }) }),
    id: 'token-wrong-audience',
    sole: false,
    summary: ['https://graph.microsoft.com'],
    fix: ['--scope https://outlook.office.com/IMAP.AccessAsUser.All', 'aud https://graph.microsoft.com, scp Mail.Read User.Read'],
    fixNot: ['/.default', 'now: https://outlook.office365.com/.default'],
  },
];
