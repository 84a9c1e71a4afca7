// The webhook's TLS material: a CA (whose certificate becomes the caBundle) and a serving
// certificate for the injector Service's DNS names. Keys and serials are made with node:crypto;
// the time is an input.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { buildCertificate, toPem } from './x509.js';

export interface WebhookCerts {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

/** DNS names the API server may use for a Service: name, name.ns, name.ns.svc, name.ns.svc.cluster.local. */
export const serviceDnsNames = (service: string, namespace: string): string[] => [
  service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`,
];

export function createWebhookCerts(opts: { dnsNames: readonly string[]; now: Date; days: number }): WebhookCerts {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = new Date(opts.now.getTime() - 5 * 60_000); // tolerate clock skew
  const notAfter = new Date(opts.now.getTime() + opts.days * 86_400_000);
  const caDer = buildCertificate({
    subject: 'pillion-injector-ca', issuer: 'pillion-injector-ca', publicKey: ca.publicKey, signingKey: ca.privateKey,
    serial: randomBytes(16), notBefore, notAfter, isCa: true,
  });
  const certDer = buildCertificate({
    subject: opts.dnsNames[0] ?? 'pillion-injector', issuer: 'pillion-injector-ca', publicKey: leaf.publicKey, signingKey: ca.privateKey,
    serial: randomBytes(16), notBefore, notAfter, isCa: false, dnsNames: opts.dnsNames,
  });
  return {
    caCert: toPem(caDer),
    cert: toPem(certDer) + toPem(caDer),
    key: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
