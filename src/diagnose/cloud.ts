import { CLOUDS, type Cloud } from '../config/clouds.js';
import type { DiagnosisContext } from './types.js';

/** The cloud whose hosts and scopes a fix names. */
export const cloudOf = (ctx: Pick<DiagnosisContext, 'cloud'>): Cloud => CLOUDS[ctx.cloud ?? 'global'];

/** "Exchange Online" or, in a national cloud, "Exchange Online (Microsoft 365 GCC High …)". */
export const exchangeName = (ctx: Pick<DiagnosisContext, 'cloud'>): string =>
  ctx.cloud && ctx.cloud !== 'global' ? `Exchange Online (${cloudOf(ctx).label})` : 'Exchange Online';
