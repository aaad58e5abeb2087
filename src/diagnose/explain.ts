// `imap-oauth explain`: find the rules a code or a pasted message refers to. Pure.
import { RULES } from './index.js';
import { exampleContext } from './examples.js';
import { aadstsRuleFor } from './rules/aadsts.js';
import type { Diagnosis, Rule } from './types.js';

export interface Explanation {
  /** Rules that match, best first, each with what it says on its example evidence. */
  matches: Diagnosis[];
  /** An AADSTS number found in the query that the table does not know. */
  unknownAadsts?: number;
}

const MAX_MATCHES = 3;

function describe(rule: Rule): Diagnosis | null {
  const ctx = exampleContext(rule);
  if (!ctx || !rule.applies(ctx)) return null;
  return { id: rule.id, severity: rule.severity ?? 'error', ...rule.diagnose(ctx) };
}

function score(rule: Rule, query: string): number {
  const q = query.toLowerCase();
  if (rule.id === q) return 10_000;
  let best = 0;
  for (const key of rule.keys) {
    const k = key.toLowerCase();
    if (k.length < 3) continue;
    if (q === k) best = Math.max(best, 1000 + k.length);
    else if (q.includes(k)) best = Math.max(best, 100 + k.length);
    else if (q.length >= 4 && k.includes(q)) best = Math.max(best, q.length);
  }
  return best;
}

export function explain(queryRaw: string): Explanation {
  const query = queryRaw.replace(/\s+/g, ' ').trim();
  const code = /^(?:AADSTS)?(\d{4,8})$/i.exec(query)?.[1] ?? /AADSTS(\d{4,8})/i.exec(query)?.[1];
  if (code) {
    const n = Number(code);
    const rule = aadstsRuleFor(n);
    if (rule) {
      const d = describe(rule);
      return { matches: d ? [{ ...d, docs: `https://login.microsoftonline.com/error?code=${n}` }] : [] };
    }
    return { matches: [], unknownAadsts: n };
  }
  const ranked = RULES.map((rule) => ({ rule, s: score(rule, query) }))
    .filter((x) => x.s > 0)
    .sort((a, b) => b.s - a.s)
    .slice(0, MAX_MATCHES);
  return { matches: ranked.map((x) => describe(x.rule)).filter((d): d is Diagnosis => !!d) };
}
