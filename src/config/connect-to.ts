// --connect-to HOST:PORT:ADDR:PORT2, as curl has it: connect to ADDR:PORT2 where HOST:PORT was
// asked for, while TLS still verifies (and SNI still names) HOST. For testing one front-end server
// of a pool, a server not yet in DNS, or a cloud preset against a local stand-in.
import { hostname, port as portNumber } from './validate.js';

export interface ConnectTo {
  /** Undefined: any host. */
  host?: string;
  /** Undefined: any port. */
  port?: number;
  /** Undefined: the same host. */
  toHost?: string;
  /** Undefined: the same port. */
  toPort?: number;
}

const SHAPE = 'expected HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT, e.g. outlook.office365.com:993:10.0.0.5:993 (an IPv6 address in [brackets]; an empty field means any host or port, or the same one)';

/** Splits at `:` outside `[...]`; brackets are removed. */
function fields(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let inBrackets = false;
  for (const ch of text) {
    if (ch === '[' && !inBrackets && current === '') inBrackets = true;
    else if (ch === ']' && inBrackets) inBrackets = false;
    else if (ch === ':' && !inBrackets) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  if (inBrackets) throw new Error(SHAPE);
  out.push(current);
  return out;
}

export function parseConnectTo(value: string): ConnectTo {
  const parts = fields(value.trim());
  if (parts.length !== 4) throw new Error(SHAPE);
  const [host = '', port = '', toHost = '', toPort = ''] = parts;
  return {
    ...(host ? { host: hostname(host).toLowerCase() } : {}),
    ...(port ? { port: portNumber(port) } : {}),
    ...(toHost ? { toHost: hostname(toHost) } : {}),
    ...(toPort ? { toPort: portNumber(toPort) } : {}),
  };
}

/** Where to open the connection for host:port: the first matching rule, or host:port itself. */
export function routeFor(host: string, port: number, rules: readonly ConnectTo[]): { host: string; port: number } {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  const rule = rules.find((r) => (r.host === undefined || r.host === name) && (r.port === undefined || r.port === port));
  return rule ? { host: rule.toHost ?? host, port: rule.toPort ?? port } : { host, port };
}
