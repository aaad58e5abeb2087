// `imap-oauth completion bash|zsh|powershell`: a completion script generated from the commander
// program itself, so that a new command or flag completes without anyone editing a script.
// Commander has no completion of its own; the scripts are small tables plus one lookup function.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { SCENARIOS } from '../sandbox/scenarios.js';

export const SHELLS = ['bash', 'zsh', 'powershell'] as const;
export type Shell = (typeof SHELLS)[number];

/** Values of options that validate them elsewhere (no commander choices). */
const KNOWN_VALUES: Record<string, readonly string[]> = {
  '--flow': ['client-credentials', 'device-code', 'interactive', 'refresh-token'],
  '--auth-mode': ['entra', 'generic'],
  '--cloud': ['global', 'usgov', 'usgov-dod', 'china'],
  '--mech': ['xoauth2', 'oauthbearer'],
  '--protocol': ['imap', 'pop', 'smtp'],
  '--scenario': SCENARIOS.map((s) => s.name),
};

/** "@files": complete file names; "@any": a free value (nothing to offer); else the words. */
type Values = readonly string[] | '@files' | '@any';

export interface CommandSpec {
  /** "" for the top level, "cert new" for a subcommand. */
  path: string;
  subcommands: string[];
  options: string[];
  /** Options that take a value, with what to offer for it. */
  values: Record<string, Values>;
  /** Words for the positional arguments (choices), if any. */
  args: string[];
}

const SAFE = /^[A-Za-z0-9@%+=._:,/-]+$/; // every word goes into shell code unquoted: keep it plain

export function commandSpecs(program: Command): CommandSpec[] {
  const out: CommandSpec[] = [];
  const walk = (cmd: Command, path: string) => {
    const values: Record<string, Values> = {};
    const options: string[] = ['--help'];
    if (!path) options.push('--version');
    for (const opt of cmd.options) {
      if (opt.hidden || !opt.long) continue;
      options.push(opt.long);
      if (opt.short) options.push(opt.short);
      if (!opt.required && !opt.optional) continue;
      const value: Values = opt.argChoices?.length
        ? opt.argChoices
        : KNOWN_VALUES[opt.long] ?? (/<(path|dir)/.test(opt.flags) ? '@files' : '@any');
      for (const name of [opt.long, opt.short]) if (name) values[name] = value;
    }
    const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    const args = cmd.registeredArguments.flatMap((a) => a.argChoices ?? []);
    out.push({ path, subcommands: subs.map((c) => c.name()), options: options.filter((o) => SAFE.test(o)), values, args: args.filter((a) => SAFE.test(a)) });
    for (const sub of subs) walk(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  walk(program, '');
  return out;
}

const words = (v: Values) => (typeof v === 'string' ? v : v.filter((w) => SAFE.test(w)).join(' '));

/** POSIX `case` tables, shared by the bash and zsh scripts. */
function shellTables(specs: CommandSpec[]): string {
  const table = (name: string, rows: [string, string][], key = '$1') =>
    [`${name}() {`, `  case "${key}" in`, ...rows.map(([k, v]) => `    "${k}") echo "${v}" ;;`), '  esac', '}'].join('\n');
  return [
    table('_imap_oauth_subcommands', specs.map((s) => [s.path, [...s.subcommands, ...s.args].join(' ')])),
    table('_imap_oauth_options', specs.map((s) => [s.path, s.options.join(' ')])),
    table('_imap_oauth_known', specs.map((s) => [s.path, 'yes'])),
    // "$path|$option" → the values to offer (@files, @any or words); nothing: takes no value.
    table('_imap_oauth_values', specs.flatMap((s) => Object.entries(s.values).map(([o, v]) => [`${s.path}|${o}`, words(v)] as [string, string])), '$1|$2'),
  ].join('\n');
}

/** The command path the words before the cursor name, skipping options and their values. */
const WALK = `
  local cmdpath="" i w next
  for ((i = FIRST; i < CURSOR; i++)); do
    w="\${WORDS[i]}"
    [[ $w == -* ]] && continue
    [[ -n "$(_imap_oauth_values "$cmdpath" "\${WORDS[i-1]}")" ]] && continue
    next="\${cmdpath:+$cmdpath }$w"
    [[ -n "$(_imap_oauth_known "$next")" ]] && cmdpath="$next"
  done`;

function bash(specs: CommandSpec[]): string {
  return `# imap-oauth completion for bash. Load it with:  eval "$(imap-oauth completion bash)"  (e.g. in ~/.bashrc)
${shellTables(specs)}
_imap_oauth() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" vals${WALK.replace(/WORDS/g, 'COMP_WORDS').replace('FIRST', '1').replace('CURSOR', 'COMP_CWORD')}
  COMPREPLY=()
  vals="$(_imap_oauth_values "$cmdpath" "$prev")"
  if [[ $COMP_CWORD -gt 1 && -n $vals ]]; then
    case "$vals" in
      @files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
      @any) ;;
      *) COMPREPLY=($(compgen -W "$vals" -- "$cur")) ;;
    esac
    return 0
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_imap_oauth_options "$cmdpath")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_imap_oauth_subcommands "$cmdpath")" -- "$cur"))
  fi
}
complete -F _imap_oauth imap-oauth
`;
}

function zsh(specs: CommandSpec[]): string {
  // zsh's $words starts at 1 and $CURRENT is the word under the cursor; `path` is zsh's PATH array,
  // hence `cmdpath`.
  return `#compdef imap-oauth
# imap-oauth completion for zsh. Load it with:  eval "$(imap-oauth completion zsh)"  (after compinit, e.g. in ~/.zshrc)
${shellTables(specs)}
_imap_oauth() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" vals${WALK.replace(/WORDS/g, 'words').replace('FIRST', '2').replace('CURSOR', 'CURRENT')}
  vals="$(_imap_oauth_values "$cmdpath" "$prev")"
  if (( CURRENT > 2 )) && [[ -n $vals ]]; then
    case "$vals" in
      @files) _files ;;
      @any) ;;
      *) compadd -- \${=vals} ;;
    esac
    return
  fi
  if [[ $cur == -* ]]; then
    compadd -- \${=$(_imap_oauth_options "$cmdpath")}
  else
    compadd -- \${=$(_imap_oauth_subcommands "$cmdpath")}
  fi
}
if (( $+functions[compdef] )); then compdef _imap_oauth imap-oauth; fi
`;
}

function powershell(specs: CommandSpec[]): string {
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const list = (xs: readonly string[]) => `@(${xs.map(q).join(', ')})`;
  const map = (entries: [string, string][]) => `@{\n${entries.map(([k, v]) => `    ${q(k)} = ${v}`).join('\n')}\n  }`;
  return `# imap-oauth completion for PowerShell. Load it with:  imap-oauth completion powershell | Out-String | Invoke-Expression  (e.g. in $PROFILE)
Register-ArgumentCompleter -Native -CommandName 'imap-oauth', 'imap-oauth.cmd', 'imap-oauth.ps1' -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $subcommands = ${map(specs.map((s) => [s.path, list([...s.subcommands, ...s.args])]))}
  $options = ${map(specs.map((s) => [s.path, list(s.options)]))}
  $values = ${map(specs.flatMap((s) => Object.entries(s.values).map(([o, v]) => [`${s.path}|${o}`, typeof v === 'string' ? q(v) : list(v)] as [string, string])))}
  # The words before the one being completed (the command name itself left out).
  $before = @($commandAst.CommandElements | Select-Object -Skip 1 | Where-Object { $_.Extent.EndOffset -lt $cursorPosition -or ($wordToComplete -eq '' -and $_.Extent.EndOffset -le $cursorPosition) } | ForEach-Object { $_.ToString() })
  $path = ''
  for ($i = 0; $i -lt $before.Count; $i++) {
    $w = $before[$i]
    if ($w -like '-*') { continue }
    if ($i -gt 0 -and $values.ContainsKey("$path|$($before[$i - 1])")) { continue }
    $next = if ($path) { "$path $w" } else { $w }
    if ($subcommands.ContainsKey($next)) { $path = $next }
  }
  $prev = if ($before.Count -gt 0) { $before[-1] } else { '' }
  $candidates = @()
  if ($values.ContainsKey("$path|$prev")) {
    $v = $values["$path|$prev"]
    if ($v -is [string]) { return }  # @files: PowerShell completes paths; @any: nothing to offer
    $candidates = $v
  } elseif ($wordToComplete -like '-*') {
    $candidates = $options[$path]
  } else {
    $candidates = $subcommands[$path]
  }
  $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}
`;
}

export function completionScript(shell: Shell, program: Command): string {
  const specs = commandSpecs(program);
  return shell === 'bash' ? bash(specs) : shell === 'zsh' ? zsh(specs) : powershell(specs);
}

export function runCompletion(shell: string, program: Command, io: Io): ExitCode {
  if (!(SHELLS as readonly string[]).includes(shell)) throw new UserError(`unknown shell "${shell.slice(0, 40)}": one of ${SHELLS.join(', ')}`, ExitCode.USAGE);
  io.out(completionScript(shell as Shell, program));
  return ExitCode.OK;
}
