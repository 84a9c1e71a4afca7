// Token making for `pillion token create`: random tokens and signed JWTs (jose). The clock and
// randomness are inputs where a test needs them fixed.
import { createPrivateKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { UsageError } from './common.js';

export function randomToken(bytes: number, encoding: 'hex' | 'base64url', random: (n: number) => Buffer = randomBytes): string {
  return random(bytes).toString(encoding);
}

/** The JWS algorithm that fits a private key (EC curve, RSA, Ed25519). */
export function algorithmFor(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const alg = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }[curve ?? ''];
    if (!alg) throw new UsageError(`EC curve ${String(curve)} is not usable for JWT (use P-256, P-384 or P-521)`);
    return alg;
  }
  if (type === 'rsa') return 'RS256';
  if (type === 'rsa-pss') return 'PS256';
  if (type === 'ed25519') return 'EdDSA';
  throw new UsageError(`key type ${String(type)} is not usable for JWT`);
}

export interface JwtOptions {
  readonly keyPem: string;
  readonly alg?: string;
  readonly sub?: string;
  readonly aud?: readonly string[];
  readonly iss?: string;
  readonly kid?: string;
  /** lifetime in seconds; 0 = no exp claim */
  readonly ttlSeconds: number;
  readonly now: Date;
}

export async function signJwt(o: JwtOptions): Promise<string> {
  let key: KeyObject;
  try {
    key = createPrivateKey(o.keyPem);
  } catch (err) {
    throw new UsageError(`--key: not a private key in PEM: ${(err as Error).message}`);
  }
  const alg = o.alg ?? algorithmFor(key);
  const { SignJWT } = await import('jose');
  const iat = Math.floor(o.now.getTime() / 1000);
  let jwt = new SignJWT({}).setProtectedHeader({ alg, typ: 'JWT', ...(o.kid ? { kid: o.kid } : {}) }).setIssuedAt(iat).setJti(randomUUID());
  if (o.ttlSeconds > 0) jwt = jwt.setExpirationTime(iat + o.ttlSeconds);
  if (o.sub) jwt = jwt.setSubject(o.sub);
  if (o.iss) jwt = jwt.setIssuer(o.iss);
  if (o.aud?.length) jwt = jwt.setAudience(o.aud.length === 1 ? o.aud[0]! : [...o.aud]);
  try {
    return await jwt.sign(key);
  } catch (err) {
    throw new UsageError(`cannot sign with --alg ${alg} and this key: ${(err as Error).message}`);
  }
}
