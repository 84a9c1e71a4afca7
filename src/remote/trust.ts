// The trust behind sidecar-to-sidecar mTLS: one CA per trust domain, and a short-lived leaf
// certificate each sidecar issues itself for its own SPIFFE ID.
//  - Self-hosted: the CA lives in $PILLION_HOME/trust/ (ca.crt, ca.key 0600) and is created on
//    first run. Creation is atomic — both files are written into a private temporary folder
//    that is then renamed to trust/ — so two sidecars starting at once end up with the same CA.
//  - Kubernetes: the CA comes from a mounted Secret (--trust-bundle-dir), made once per
//    namespace with `pillion trust create`.
// Certificates are built by src/injector/x509.ts (node:crypto, no openssl).
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { buildCertificate, toPem } from '../injector/x509.js';
import { spiffeId, trustDomainOf, isValidTrustDomain, type SidecarIdentity } from './spiffe.js';

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
export const TRUST_FOLDER = 'trust';
export const DEFAULT_TRUST_DOMAIN = 'public';
/** leaf lifetime; renewed at half-life, so a stolen leaf is useful for a day at most */
export const LEAF_TTL_MS = 24 * 3_600_000;
const CA_TTL_DAYS = 3650;
const CLOCK_SKEW_MS = 5 * 60_000;

export class TrustError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrustError';
  }
}

export interface TrustAuthority {
  readonly trustDomain: string;
  readonly caCertPem: string;
  readonly caKey: KeyObject;
  readonly caCert: X509Certificate;
}

export interface LeafCertificate {
  /** leaf, then the CA (the chain a peer verifies) */
  readonly certPem: string;
  readonly keyPem: string;
  readonly notAfter: Date;
}

/** A new CA for a trust domain (PEM). */
export function createCa(trustDomain: string, now = new Date()): { certPem: string; keyPem: string } {
  if (!isValidTrustDomain(trustDomain)) throw new TrustError(`trust domain "${trustDomain}" must be lower-case letters, digits, '.', '-' or '_'`);
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = buildCertificate({
    subject: `pillion-trust ${trustDomain}`, issuer: `pillion-trust ${trustDomain}`, publicKey: k.publicKey, signingKey: k.privateKey,
    serial: randomBytes(16), notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + CA_TTL_DAYS * 86_400_000), isCa: true, uris: [`spiffe://${trustDomain}`],
  });
  return { certPem: toPem(der), keyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** Parses and checks a CA pair: the certificate is a CA naming its trust domain, the key is its key. */
export function parseCa(certPem: string, keyPem: string, where: string): TrustAuthority {
  let caCert: X509Certificate;
  let caKey: KeyObject;
  try {
    caCert = new X509Certificate(certPem);
    caKey = createPrivateKey(keyPem);
  } catch (err) {
    throw new TrustError(`${where}: unreadable CA (${(err as Error).message})`);
  }
  if (!caCert.ca) throw new TrustError(`${where}: ${CA_CERT_FILE} is not a CA certificate`);
  // Leaves name their issuer by common name only (x509.ts): a CA with a richer subject could
  // not be chained to. `pillion trust create` makes CAs of the right shape.
  if (!/^CN=[^\n]+$/.test(caCert.subject)) throw new TrustError(`${where}: ${CA_CERT_FILE} must have a subject of one common name (create it with \`pillion trust create\`)`);
  if (!caCert.checkPrivateKey(caKey)) throw new TrustError(`${where}: ${CA_KEY_FILE} is not the key of ${CA_CERT_FILE}`);
  const trustDomain = trustDomainOf(caCert.subjectAltName);
  if (!trustDomain) throw new TrustError(`${where}: ${CA_CERT_FILE} names no trust domain (URI SAN spiffe://<trust-domain>); create it with \`pillion trust create\``);
  if (new Date(caCert.validTo).getTime() < Date.now()) throw new TrustError(`${where}: the CA expired on ${caCert.validTo}`);
  return { trustDomain, caCertPem: certPem, caKey, caCert };
}

/** Reads the CA from a folder holding ca.crt and ca.key (the mounted Kubernetes Secret). */
export function loadCa(dir: string): TrustAuthority {
  let certPem: string;
  let keyPem: string;
  try {
    certPem = readFileSync(join(dir, CA_CERT_FILE), 'utf8');
    keyPem = readFileSync(join(dir, CA_KEY_FILE), 'utf8');
  } catch (err) {
    throw new TrustError(`trust bundle ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `needs ${CA_CERT_FILE} and ${CA_KEY_FILE}` : (err as Error).message}`);
  }
  return parseCa(certPem, keyPem, `trust bundle ${dir}`);
}

/**
 * Self-hosted: the CA under <home>/trust, created on first use. Safe when several sidecars
 * start at once: whoever renames first wins, the others read the winner's files.
 */
export function loadOrCreateLocalCa(home: string, trustDomain = DEFAULT_TRUST_DOMAIN): TrustAuthority {
  const dir = join(home, TRUST_FOLDER);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  if (!exists(join(dir, CA_CERT_FILE))) {
    const tmp = join(home, `.${TRUST_FOLDER}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    mkdirSync(tmp, { mode: 0o700 });
    try {
      const ca = createCa(trustDomain);
      writeNew(join(tmp, CA_KEY_FILE), ca.keyPem, 0o600);
      writeNew(join(tmp, CA_CERT_FILE), ca.certPem, 0o644);
      try {
        renameSync(tmp, dir); // atomic; fails when another sidecar created trust/ first
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const keyPath = join(dir, CA_KEY_FILE);
  // The CA key lets anyone mint a sidecar identity: refuse one other users can read.
  const mode = exists(keyPath) ? statSync(keyPath).mode & 0o777 : 0;
  if (mode & 0o077) throw new TrustError(`${keyPath} is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`);
  return loadCa(dir);
}

/** A leaf certificate for one sidecar: SPIFFE ID as URI SAN, server and client use. */
export function issueLeaf(ca: TrustAuthority, id: Omit<SidecarIdentity, 'trustDomain'>, now = new Date(), ttlMs = LEAF_TTL_MS): LeafCertificate {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const caNotAfter = new Date(ca.caCert.validTo);
  const notAfter = new Date(Math.min(now.getTime() + ttlMs, caNotAfter.getTime()));
  const der = buildCertificate({
    subject: `${id.appId}.${id.namespace}`, issuer: ca.caCert.subject.replace(/^CN=/, ''), publicKey: k.publicKey, signingKey: ca.caKey,
    serial: randomBytes(16), notBefore: new Date(now.getTime() - CLOCK_SKEW_MS), notAfter, isCa: false, clientAuth: true,
    uris: [spiffeId({ trustDomain: ca.trustDomain, ...id })],
  });
  return { certPem: toPem(der) + ca.caCertPem, keyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, notAfter };
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function writeNew(path: string, text: string, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, mode); // the umask must not widen or narrow what we chose
}
