// A small DER writer and X.509 v3 certificate builder (ECDSA P-256 / SHA-256), enough for the
// webhook's own CA and serving certificate, so `pillion injector certs` needs no openssl.
// Deterministic: keys, serial numbers and times are inputs.
import { createHash, createPublicKey, sign, type KeyObject } from 'node:crypto';

const len = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
export const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.from([unused]), b);
const explicit = (n: number, c: Buffer): Buffer => tlv(0xa0 + n, c);

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const b: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) b.unshift((v & 0x7f) | 0x80);
    out.push(...b);
  }
  return tlv(0x06, Buffer.from(out));
}

/** A non-negative INTEGER from big-endian bytes (leading zeros trimmed, sign byte added). */
export function unsigned(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const b = bytes.subarray(i);
  return tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));
const ext = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

export interface CertSpec {
  readonly subject: string;
  readonly issuer: string;
  readonly publicKey: KeyObject;
  /** the issuer's key (the subject's own key for a self-signed CA) */
  readonly signingKey: KeyObject;
  readonly serial: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  /** subjectAltName DNS names (serving certificates) */
  readonly dnsNames?: readonly string[];
  /** subjectAltName URIs (the SPIFFE ID of a sidecar's certificate, see src/remote/trust.ts) */
  readonly uris?: readonly string[];
  /** leaf only: also usable as a TLS client certificate (mutual TLS between sidecars) */
  readonly clientAuth?: boolean;
}

const publicOf = (k: KeyObject): KeyObject => (k.type === 'public' ? k : createPublicKey(k));

/** The SHA-1 of the subjectPublicKey bits (RFC 5280 key identifier, method 1). */
function keyId(key: KeyObject): Buffer {
  const spki = publicOf(key).export({ type: 'spki', format: 'der' });
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm, BIT STRING }: hash the BIT STRING's content
  const pointLength = key.asymmetricKeyType === 'ec' ? 65 : spki.length;
  return createHash('sha1').update(spki.subarray(spki.length - pointLength)).digest();
}

/** Builds and signs a certificate; returns it as DER. */
export function buildCertificate(c: CertSpec): Buffer {
  const spki = publicOf(c.publicKey).export({ type: 'spki', format: 'der' });
  const extensions = [
    ext('2.5.29.19', true, c.isCa ? seq(bool(true)) : seq()),
    // keyUsage: CA = digitalSignature, keyCertSign, cRLSign; leaf = digitalSignature
    ext('2.5.29.15', true, c.isCa ? bits(Buffer.from([0x86]), 1) : bits(Buffer.from([0x80]), 7)),
    ext('2.5.29.14', false, octets(keyId(c.publicKey))),
    ext('2.5.29.35', false, seq(tlv(0x80, keyId(c.signingKey)))),
  ];
  if (!c.isCa) extensions.push(ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), ...(c.clientAuth ? [oid('1.3.6.1.5.5.7.3.2')] : []))));
  const altNames = [
    ...(c.dnsNames ?? []).map((n) => tlv(0x82, Buffer.from(n, 'ascii'))),
    ...(c.uris ?? []).map((u) => tlv(0x86, Buffer.from(u, 'ascii'))),
  ];
  if (altNames.length) extensions.push(ext('2.5.29.17', false, seq(...altNames)));
  const tbs = seq(
    explicit(0, tlv(0x02, Buffer.from([2]))),
    unsigned(c.serial),
    ECDSA_SHA256,
    name(c.issuer),
    seq(time(c.notBefore), time(c.notAfter)),
    name(c.subject),
    spki,
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, c.signingKey);
  return seq(tbs, ECDSA_SHA256, bits(signature));
}

export const toPem = (der: Buffer, label = 'CERTIFICATE'): string =>
  `-----BEGIN ${label}-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
