// TLS towards the own app (--app-protocol https | grpcs). daprd dials the app with TLS 1.2+ and
// InsecureSkipVerify: the connection is encrypted but the app's certificate is NOT checked,
// so anything listening on the app port is trusted as the app (pkg/runtime/channels and
// pkg/api/grpc/manager in daprd 1.17). Pillion does the same by default; the Pillion-only
// --app-ca-file turns verification on: the chain must lead to one of the file's certificates
// and the certificate must name --app-channel-address (DNS or IP subjectAltName).
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { AppProtocol } from '../config/run-config.js';

/** How a channel, a probe or the readiness wait reaches the app. */
export interface AppTransport {
  /** the API family the app speaks: decides HTTP requests vs AppCallback calls */
  readonly family: 'http' | 'grpc';
  /** TLS options when the app speaks TLS (https, grpcs); undefined for cleartext */
  readonly tls?: ConnectionOptions;
  /** HTTP/2 cleartext with prior knowledge (h2c): HTTP requests over one HTTP/2 connection */
  readonly h2c: boolean;
}

/** The transport of an --app-protocol value; `ca` (PEM) turns certificate verification on. */
export function appTransport(protocol: AppProtocol, host: string, ca?: string): AppTransport {
  const family = protocol === 'grpc' || protocol === 'grpcs' ? 'grpc' : 'http';
  const secure = protocol === 'https' || protocol === 'grpcs';
  return { family, h2c: protocol === 'h2c', tls: secure ? tlsOptions(host, ca) : undefined };
}

export function tlsOptions(host: string, ca?: string): ConnectionOptions {
  return {
    minVersion: 'TLSv1.2', // daprd's AppChannelMinTLSVersion
    // Without a CA file: daprd's InsecureSkipVerify (see the top of this file and docs/security.md).
    rejectUnauthorized: ca !== undefined,
    ...(ca !== undefined ? { ca } : {}),
    // SNI carries host names only; an IP address is checked against the IP subjectAltNames.
    ...(isIP(host) ? {} : { servername: host }),
  };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, re-emitted as PEM; throws when there is none or one is unreadable. */
export function parseCaBundle(text: string): string {
  const blocks = text.match(PEM_CERT) ?? [];
  if (!blocks.length) throw new Error('it holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  for (const [i, b] of blocks.entries()) {
    try {
      new X509Certificate(b);
    } catch (err) {
      throw new Error(`certificate ${i + 1} is unreadable (${(err as Error).message})`);
    }
  }
  return blocks.join('\n') + '\n';
}

/** Reads --app-ca-file once at start-up; the error names the flag and the file, never contents. */
export function loadAppCa(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`--app-ca-file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return parseCaBundle(text);
  } catch (err) {
    throw new Error(`--app-ca-file ${file}: ${(err as Error).message}`);
  }
}
