// AADSTS codes of Conditional Access, security defaults, MFA, device and risk policies, and the
// words in Entra's text that name them (for codes the table does not know).
import type { DiagnosisContext } from '../types.js';
import { signInLogs, userFlow, type AadstsEntry } from './aadsts-entry.js';

const whatIf = 'Entra admin center → Protection → Conditional Access → Policies (the "What If" tool shows which policy applies to this user or app)';
const workload = (ctx: DiagnosisContext) => (userFlow(ctx) ? 'this user and app' : 'this app (a workload identity)');

export const POLICY_ENTRIES: AadstsEntry[] = [
  {
    codes: [53003, 50131, 530032, 50005],
    id: 'aadsts-conditional-access',
    phrases: ['Conditional Access', 'blocked by Conditional Access'],
    summary: 'Blocked by a Conditional Access policy',
    cause: (ctx) => `A Conditional Access policy for ${workload(ctx)} blocks the sign-in from this location, device or client, or under these conditions.`,
    fix: (ctx) => `Ask an Entra admin to find the sign-in in ${signInLogs(ctx)} and open its Conditional Access tab: it names the policy and the condition that failed; then ${whatIf}.`,
  },
  {
    codes: [530035],
    id: 'aadsts-security-defaults',
    phrases: ['security defaults', 'BlockedBySecurityDefaults'],
    summary: 'Blocked by security defaults',
    cause: 'The tenant uses security defaults, which block legacy authentication and sign-ins they deem unsafe (and require MFA registration).',
    fix: (ctx) => `Sign in with OAuth in a modern flow (this tool's device code or client credentials), not with a password or another legacy protocol; an admin sees the reason in ${signInLogs(ctx)}. Replacing security defaults with Conditional Access policies is an admin's decision.`,
  },
  {
    codes: [50076, 50079, 50072, 50074, 53004, 50158],
    id: 'aadsts-mfa-required',
    phrases: ['multi-factor authentication', 'multifactor authentication', 'strong authentication'],
    summary: 'Multi-factor authentication is required',
    cause: (ctx) =>
      userFlow(ctx)
        ? 'A Conditional Access policy, per-user MFA or security defaults require MFA (or MFA registration) for this sign-in.'
        : 'A policy requires MFA; a sign-in without a user (a password grant, or a tool that cannot show a prompt) cannot satisfy it.',
    fix: (ctx) => `Sign in interactively (--flow device-code or --flow interactive) and complete MFA in the browser (register a method at https://aka.ms/mfasetup if asked); an administrator can check the policy in ${signInLogs(ctx)}.`,
  },
  {
    codes: [53000, 53001, 53002, 50097, 50129],
    id: 'aadsts-device-not-compliant',
    phrases: ['compliant device', 'domain joined', 'approved app', 'Intune', 'app protection'],
    summary: 'A policy requires a compliant or managed device, or an approved app',
    cause: 'Conditional Access grants access only from devices that are compliant (Intune), Entra-joined or hybrid-joined, or only to approved client apps with app protection policies; this machine or client is none of these.',
    fix: (ctx) => `Run from a managed, compliant device (or enrol this one in Intune), or ask an admin to exclude this app from the device/app-protection policy; ${signInLogs(ctx)} shows the device state Entra saw.`,
  },
  {
    codes: [],
    id: 'aadsts-location-blocked',
    phrases: ['named location', 'blocked from this location'],
    summary: 'A policy blocks sign-ins from this location or network',
    cause: 'Conditional Access (named locations, country or IP ranges) or a workload identity policy allows this sign-in only from certain networks; this machine\'s public IP address is not one of them.',
    fix: (ctx) => `Run from an allowed network, or ask an admin to add this address to the named location; ${signInLogs(ctx)} shows the IP address and location Entra saw.`,
  },
  {
    codes: [70043, 50078],
    id: 'aadsts-sign-in-frequency',
    phrases: ['sign-in frequency', 'has expired due to policies'],
    summary: 'A sign-in frequency policy requires the user to sign in again',
    cause: 'Conditional Access limits how long a sign-in (or its MFA) lasts; the saved refresh token is older than the policy allows.',
    fix: (ctx) => `Sign in again (--flow device-code --token-cache PATH); an unattended job needs an app-only credential instead (client credentials), which sign-in frequency does not apply to. Policy: ${whatIf}.`,
  },
  {
    codes: [53011, 530034, 50135],
    id: 'aadsts-risk-blocked',
    phrases: ['due to risk', 'account risk', 'suspicious activity'],
    summary: 'Blocked because Entra rates the user or sign-in as risky',
    cause: 'Identity Protection flagged the account or this sign-in (leaked credentials, unusual location) and a policy blocks it or asks for a password change.',
    fix: () => 'An admin reviews the user in Entra admin center → Protection → Identity Protection → Risky users (dismiss or remediate the risk, e.g. a secure password change), then sign in again.',
  },
];

/**
 * What Entra's text names, for a code the table does not know: the first pattern that matches
 * gives the entry whose cause and fix apply. Most specific first.
 */
export const TEXT_CLASSES: { id: string; pattern: RegExp }[] = [
  { id: 'aadsts-security-defaults', pattern: /security defaults/i },
  { id: 'aadsts-device-not-compliant', pattern: /complian|managed device|domain[- ]joined|hybrid[- ]joined|intune|app protection|protection polic|approved (client )?app|device (authentication|state)/i },
  { id: 'aadsts-sign-in-frequency', pattern: /sign-?in frequency|re-?authenticat|session lifetime|maximum allowed lifetime/i },
  { id: 'aadsts-location-blocked', pattern: /\blocations?\b|\bIP address|\bcountr(y|ies)\b|\bIP range|trusted network/i },
  { id: 'aadsts-mfa-required', pattern: /multi-?factor|\bMFA\b|strong auth|second factor|2FA/i },
  { id: 'aadsts-risk-blocked', pattern: /\brisk/i },
  { id: 'aadsts-consent-required', pattern: /\bconsent/i },
  { id: 'aadsts-conditional-access', pattern: /conditional access|access polic|blocked by (a |your )?(administrator|policy|organization)/i },
];
