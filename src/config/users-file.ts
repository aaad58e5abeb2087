// Mailbox lists: one address a line (blank lines and # comments ignored), or a CSV whose header
// has a user/mail/upn column (Exchange and Entra exports). Pure.
const COLUMN = /^(user|mail|upn|userprincipalname|primarysmtpaddress|emailaddress|email)$/i;

/** Splits one CSV line, honouring double quotes. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',' || ch === ';') (out.push(field.trim()), (field = ''));
    else field += ch;
  }
  out.push(field.trim());
  return out;
}

export interface ParsedUsers {
  users: { value: string; line: number }[];
}

export function parseUsersFile(text: string): ParsedUsers {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const firstIndex = lines.findIndex((l) => l.trim() && !l.trim().startsWith('#'));
  const header = firstIndex >= 0 ? csvFields(lines[firstIndex]!) : [];
  const column = header.length > 1 || (header.length === 1 && COLUMN.test(header[0]!)) ? header.findIndex((h) => COLUMN.test(h.replace(/^"|"$/g, ''))) : -1;
  if (header.length > 1 && column < 0) {
    throw new Error(`looks like CSV but has no user, mail or upn column (header: ${header.join(', ')})`);
  }
  const users: ParsedUsers['users'] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || (column >= 0 && i === firstIndex)) return;
    const value = column >= 0 ? (csvFields(line)[column] ?? '') : line;
    if (value) users.push({ value, line: i + 1 });
  });
  return { users };
}
