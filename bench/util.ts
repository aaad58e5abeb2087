// Small helpers shared by the bench's parts: statistics and the Markdown they are written as.

export interface Target {
  name: string;
  met: boolean | null;
  detail: string;
}

export const median = (xs: number[]) => {
  const v = xs.filter((x) => Number.isFinite(x));
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
export const maxOf = (xs: (number | undefined)[]) => {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length ? Math.max(...v) : undefined;
};
export const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : 'n/a');
export const fx = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
export const ratio = (x: number, base: number) => (Number.isFinite(x) && Number.isFinite(base) && base > 0 ? `${(x / base).toFixed(2)}×` : 'n/a');
export const mb = (kb: number | undefined) => (kb !== undefined && Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MB` : 'n/a');
export const firstLine = (s: string) => s.trim().split('\n')[0]?.slice(0, 200) ?? '';

export function table(head: string[], rows: string[][]): string {
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
