// NO_PROXY as curl reads it: comma- (or space-) separated; `*` alone exempts everything; a name
// exempts itself and every name under it (`contoso.com` and `.contoso.com` both cover
// `imap.contoso.com`); an IP address or CIDR block (`10.0.0.0/8`, `::1`) the addresses in it; an
// optional `:port` narrows an entry to that port. Nothing is exempt unless listed — loopback
// included, so a proxy on this machine (a test's, a local agent) is used for local names too.
import { BlockList, isIP } from 'node:net';

export type NoProxyRule =
  | { kind: 'all' }
  | { kind: 'name'; name: string; port?: number }
  | { kind: 'address'; list: BlockList; port?: number };

export function parseNoProxy(value: string): NoProxyRule[] {
  const rules: NoProxyRule[] = [];
  for (const raw of value.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') {
      rules.push({ kind: 'all' });
      continue;
    }
    const { host, port } = splitPort(entry);
    const [address, bits] = host.split('/');
    const family = isIP(address ?? '');
    if (family) {
      const list = new BlockList();
      const type = family === 6 ? 'ipv6' : 'ipv4';
      const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) continue;
      list.addSubnet(address!, prefix, type);
      rules.push({ kind: 'address', list, ...(port !== undefined ? { port } : {}) });
    } else {
      const name = host.replace(/^\*?\./, '').replace(/\.$/, '');
      if (name) rules.push({ kind: 'name', name, ...(port !== undefined ? { port } : {}) });
    }
  }
  return rules;
}

/** "[::1]:993", "host:993", "::1" (no port), "host" → host and port. */
function splitPort(entry: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1]!, ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  const m = /^([^:]+):(\d+)$/.exec(entry);
  return m ? { host: m[1]!, port: Number(m[2]) } : { host: entry };
}

export function matchesNoProxy(rules: readonly NoProxyRule[], host: string, port: number): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const family = isIP(name);
  return rules.some((rule) => {
    if (rule.kind === 'all') return true;
    if (rule.port !== undefined && rule.port !== port) return false;
    if (rule.kind === 'address') return family !== 0 && rule.list.check(name, family === 6 ? 'ipv6' : 'ipv4');
    return family === 0 && (name === rule.name || name.endsWith(`.${rule.name}`));
  });
}
