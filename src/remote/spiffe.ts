// Sidecar identities as SPIFFE IDs: spiffe://<trust-domain>/ns/<namespace>/<app-id>, the same
// shape daprd's Sentry issues. Carried as the URI SAN of each sidecar's certificate, so the
// callee learns the caller's app id from the TLS handshake instead of trusting a header.
// Pure functions only.

export interface SidecarIdentity {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly appId: string;
}

// RFC 3986 unreserved-ish characters: app ids and namespaces are DNS-label-like in Dapr, and
// anything else must not be able to smuggle a '/' or ',' into a certificate name.
const SEGMENT = /^[A-Za-z0-9._~-]{1,253}$/;
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;

export const isValidSegment = (s: string): boolean => SEGMENT.test(s) && s !== '.' && s !== '..';
export const isValidTrustDomain = (s: string): boolean => TRUST_DOMAIN.test(s);

export function spiffeId(id: SidecarIdentity): string {
  return `spiffe://${id.trustDomain}/ns/${id.namespace}/${id.appId}`;
}

export function parseSpiffeId(uri: string): SidecarIdentity | undefined {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!m || !isValidTrustDomain(m[1]!) || !isValidSegment(m[2]!) || !isValidSegment(m[3]!)) return undefined;
  return { trustDomain: m[1]!, namespace: m[2]!, appId: m[3]! };
}

/** The URIs of an X.509 subjectAltName as node prints it ("DNS:a, URI:spiffe://…"). */
export function sanUris(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  const out: string[] = [];
  for (const part of subjectAltName.split(/,\s*/)) if (part.startsWith('URI:')) out.push(part.slice(4));
  return out;
}

/** The single sidecar identity a certificate names, or undefined (none, several, or malformed). */
export function identityOf(subjectAltName: string | undefined): SidecarIdentity | undefined {
  const ids = sanUris(subjectAltName).map(parseSpiffeId);
  return ids.length === 1 ? ids[0] : undefined;
}

/** The trust domain a CA certificate names with its URI SAN spiffe://<trust-domain>. */
export function trustDomainOf(subjectAltName: string | undefined): string | undefined {
  const uris = sanUris(subjectAltName);
  const m = uris.length === 1 ? /^spiffe:\/\/([^/]+)\/?$/.exec(uris[0]!) : null;
  return m && isValidTrustDomain(m[1]!) ? m[1] : undefined;
}
