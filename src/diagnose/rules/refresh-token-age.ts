// A delegated sign-in kept in --token-cache whose refresh token had gone unused for long: Entra ID
// expires one after 90 days without use (each use rolls it). Advisory: the run itself may just
// have renewed it; the finding is about how rarely the cache is used.
import { REFRESH_TOKEN_INACTIVE_DAYS, refreshTokenAge } from '../../token/refresh-age.js';
import type { DiagnosisContext, Rule } from '../types.js';
import { DEFAULT_WARN_DAYS } from './credential.js';

const age = (ctx: DiagnosisContext) => refreshTokenAge(ctx.token.signIn, ctx.now);

export const refreshTokenAgeRule: Rule = {
  id: 'refresh-token-inactive',
  stage: 'claims',
  keys: ['refresh token unused', 'refresh token age', 'inactivity window'],
  severity: 'advisory',
  // Within --warn-days of the 90 days: the same lead time as a certificate's end.
  applies: (ctx) => {
    const days = age(ctx).refreshTokenAgeDays;
    return days !== undefined && days >= REFRESH_TOKEN_INACTIVE_DAYS - (ctx.warnDays ?? DEFAULT_WARN_DAYS);
  },
  diagnose: (ctx) => {
    const a = age(ctx);
    const days = Math.floor(a.refreshTokenAgeDays!);
    const left = REFRESH_TOKEN_INACTIVE_DAYS - days;
    return {
      summary: `the cached sign-in's refresh token had gone unused for ${days} days of the ${REFRESH_TOKEN_INACTIVE_DAYS} Entra allows${a.refreshTokenRenewed ? `; this run renewed it (good until ${a.refreshTokenExpiresAt} if unused)` : left > 0 ? ` (${left} left)` : ''}`,
      cause: `Entra ID expires a refresh token that has not been used for ${REFRESH_TOKEN_INACTIVE_DAYS} days (AADSTS700082), and then only a new sign-in helps. Each use returns a new refresh token, so the ${REFRESH_TOKEN_INACTIVE_DAYS} days start again at every refresh; revocation, a password reset or a Conditional Access policy can end it sooner.`,
      fix: [
        `Use the cached sign-in more often than every ${REFRESH_TOKEN_INACTIVE_DAYS} days: schedule this check (--flow refresh-token --token-cache PATH) weekly, e.g. with the systemd timer or cron line in the README's Monitoring section.`,
        'Once it has expired, sign in again with:',
        '  imap-oauth test --flow device-code --token-cache PATH',
      ].join('\n'),
      docs: 'https://learn.microsoft.com/entra/identity-platform/refresh-tokens',
    };
  },
};
