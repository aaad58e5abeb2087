// Minimal JWS (RS256 / PS256) signing and verification for the sandbox identity platform and IMAP
// server. The CLI itself never verifies tokens (the server decides); it only decodes them.
import { createSign, createVerify, constants, type KeyLike } from 'node:crypto';

export type JwtAlg = 'RS256' | 'PS256';
export type JwtHeader = { alg: string; typ?: string; kid?: string; x5t?: string; 'x5t#S256'?: string; [k: string]: unknown };
export type JwtPayload = Record<string, unknown>;

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

function padding(alg: JwtAlg) {
  return alg === 'PS256'
    ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { padding: constants.RSA_PKCS1_PADDING };
}

export function signJwt(header: JwtHeader, payload: JwtPayload, privateKey: KeyLike): string {
  const alg = header.alg as JwtAlg;
  if (alg !== 'RS256' && alg !== 'PS256') throw new Error(`unsupported alg ${String(header.alg)}`);
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = createSign('RSA-SHA256').update(input).sign({ key: privateKey, ...padding(alg) } as never);
  return `${input}.${sig.toString('base64url')}`;
}

export interface VerifiedJwt {
  header: JwtHeader;
  payload: JwtPayload;
}

/** Parses a compact JWS without checking it; throws on anything that is not one. */
export function parseJwt(token: string): VerifiedJwt & { signingInput: string; signature: Buffer } {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a JWT (expected three dot-separated parts)');
  const [h, p, s] = parts as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as JwtHeader;
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as JwtPayload;
  if (!header || typeof header !== 'object' || !payload || typeof payload !== 'object') throw new Error('not a JWT');
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

/** Verifies an RS256/PS256 signature against a public key or certificate; returns the parts. */
export function verifyJwt(token: string, key: KeyLike): VerifiedJwt {
  const jwt = parseJwt(token);
  const alg = jwt.header.alg;
  if (alg !== 'RS256' && alg !== 'PS256') throw new Error(`unsupported alg ${String(alg)}`);
  const ok = createVerify('RSA-SHA256').update(jwt.signingInput).verify({ key, ...padding(alg) } as never, jwt.signature);
  if (!ok) throw new Error('signature does not verify');
  return { header: jwt.header, payload: jwt.payload };
}
