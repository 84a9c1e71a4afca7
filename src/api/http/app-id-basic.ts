// The Basic-auth form of the target app id, as daprd reads it: a client that calls
// `http://dapr-app-id:<app-id>@localhost:3500/<method>` sends
// `Authorization: Basic base64("dapr-app-id:<app-id>")`. The credential is addressed to the
// sidecar, not to the app: it names the target and is never forwarded.

const USER = 'dapr-app-id';
// Go's base64.StdEncoding: the standard alphabet, padded to a multiple of 4, nothing else.
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The app id an Authorization value names, or undefined when it is not this form. As daprd:
 * the scheme is exactly `Basic ` (case-sensitive), the user is `dapr-app-id` (any case) and
 * the decoded text has exactly one ':' — so `dapr-app-id:` names the empty app id.
 */
export function appIdOfBasic(authorization: string | undefined): string | undefined {
  if (authorization === undefined || !authorization.startsWith('Basic ')) return undefined;
  const encoded = authorization.slice('Basic '.length);
  if (!STD_BASE64.test(encoded)) return undefined;
  const pair = Buffer.from(encoded, 'base64').toString('utf8').split(':');
  if (pair.length !== 2 || pair[0]!.toLowerCase() !== USER) return undefined;
  return pair[1];
}

/** Whether an Authorization value is the Basic-auth form of the target app id. */
export const isAppIdBasic = (authorization: string | undefined): boolean => appIdOfBasic(authorization) !== undefined;
