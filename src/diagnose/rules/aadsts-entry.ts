// The shape of one AADSTS table entry and the helpers the tables share. An entry is data: the
// codes it covers (verified against Microsoft's error reference where it lists them), and the
// finding it gives, filled from the run's values.
import { isUserSignIn } from '../../config/types.js';
import type { DiagnosisContext } from '../types.js';

export interface AadstsEntry {
  codes: number[];
  id: string;
  summary: string | ((ctx: DiagnosisContext) => string);
  cause: string | ((ctx: DiagnosisContext) => string);
  fix: (ctx: DiagnosisContext) => string;
  /** Words `explain` matches besides the codes (Entra's own phrases). */
  phrases?: string[];
}

export const portal = 'Entra admin center → App registrations';
export const app = (ctx: DiagnosisContext) => ctx.clientId ?? '<client-id>';
export const tenant = (ctx: DiagnosisContext) => ctx.tenant ?? '<tenant>';
/** A user signs in (device code, browser, refresh token): a public client, delegated permissions. */
export const userFlow = (ctx: DiagnosisContext) => isUserSignIn(ctx.credential);
/** Entra's description of the failure (without the trace trailer), or ''. */
export const description = (ctx: DiagnosisContext) => ctx.token.error?.description ?? ctx.token.error?.message ?? '';
export const correlation = (ctx: DiagnosisContext) => {
  const id = ctx.token.error?.correlationId;
  return id ? `correlation ID ${id}` : 'the correlation ID';
};
export const signInLogs = (ctx: DiagnosisContext) =>
  `Entra admin center → Monitoring & health → Sign-in logs (${userFlow(ctx) ? 'User sign-ins' : 'Service principal sign-ins'}), search ${correlation(ctx)}`;
