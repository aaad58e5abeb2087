// The HTML report's one style sheet, inlined: the page loads nothing (its CSP forbids it), so the
// fonts are the reader's own and there are no images. Printable: colours survive print, sections
// do not break inside a table row, the transcripts wrap instead of running off the page.
export const HTML_STYLE = `
:root { --fg: #1d2430; --muted: #5b6573; --line: #d8dde4; --bg: #ffffff; --panel: #f5f7fa;
  --pass: #17703a; --pass-bg: #e5f4ea; --fail: #b42318; --fail-bg: #fde8e6; --warn: #8a5a00; --warn-bg: #fff4d6;
  --accent: #2450a6; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 17px; margin: 0 0 8px; overflow-wrap: anywhere; }
h4 { font-size: 14px; margin: 14px 0 6px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
p { margin: 6px 0; overflow-wrap: anywhere; }
a { color: var(--accent); }
code, pre, .mono { font-family: ui-monospace, "Cascadia Mono", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
pre { margin: 6px 0; padding: 10px 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  white-space: pre-wrap; overflow-wrap: anywhere; }
pre.fix { background: #0f1b2d; color: #e8eef7; border-color: #0f1b2d; }
header.report { padding: 20px 0 8px; border-bottom: 1px solid var(--line); }
.subtitle { color: var(--muted); white-space: pre-line; }
.verdict { display: inline-block; margin: 10px 0; padding: 6px 14px; border-radius: 999px; font-weight: 700; }
.verdict.pass { background: var(--pass-bg); color: var(--pass); }
.verdict.fail { background: var(--fail-bg); color: var(--fail); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 12px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; margin: 8px 0; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border-bottom: 1px solid var(--line); overflow-wrap: break-word; }
th, td.nowrap { white-space: nowrap; }
th { background: var(--panel); font-weight: 600; font-size: 13px; color: var(--muted); }
tr { break-inside: avoid; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 4px; font-weight: 700; font-size: 12px; white-space: nowrap; }
.badge.pass { background: var(--pass-bg); color: var(--pass); }
.badge.fail { background: var(--fail-bg); color: var(--fail); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.notrun { background: var(--panel); color: var(--muted); }
article { margin: 16px 0; padding: 16px 18px; border: 1px solid var(--line); border-left-width: 5px; border-radius: 6px; break-inside: avoid-page; }
article.fail { border-left-color: var(--fail); }
article.advisory { border-left-color: var(--warn); }
article.pass { border-left-color: var(--pass); }
.id { color: var(--muted); font-weight: 400; font-size: 13px; }
ul.mailboxes { columns: 3 220px; margin: 6px 0; padding-left: 20px; }
.transcript .dir { font-weight: 700; user-select: none; }
.transcript .c { color: var(--accent); }
.transcript .s { color: #7a2e8e; }
.muted { color: var(--muted); }
.pre-line { white-space: pre-line; }
ul.findings { padding-left: 20px; }
ul.findings li { margin: 6px 0; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
@media print {
  body { font-size: 12px; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
`;
