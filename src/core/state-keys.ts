// State key prefixing, as Dapr does it so apps sharing a store don't collide:
// keyPrefix metadata on the component: "appid" (default) → "<app-id>||key", "name" →
// "<store>||key", "namespace" → "<namespace>.<app-id>||key" (no namespace self-hosted → as
// appid), "none" → key, anything else → "<value>||key". Pure.
import { DaprError } from '../errors/table.js';

export const KEY_SEPARATOR = '||';

export type KeyPrefixer = { readonly add: (key: string) => string; readonly strip: (stored: string) => string };

export function keyPrefixer(appId: string, store: string, keyPrefix: string | undefined): KeyPrefixer {
  const mode = (keyPrefix ?? 'appid').toLowerCase();
  const prefix =
    mode === 'appid' || mode === 'namespace' ? appId + KEY_SEPARATOR
    : mode === 'name' ? store + KEY_SEPARATOR
    : mode === 'none' ? ''
    : keyPrefix + KEY_SEPARATOR;
  return {
    add(key) {
      // daprd's words (its gRPC SaveState); daprd lets an empty key through a bulk get,
      // GetState, DeleteState or a transaction, Pillion refuses it everywhere (docs/api.md)
      if (key === '') throw new DaprError('ERR_MALFORMED_REQUEST', 'state key cannot be empty');
      if (prefix !== '' && key.includes(KEY_SEPARATOR)) {
        // daprd's HTTP API names the key and the store (a BadRequest field violation)
        throw new DaprError('ERR_STATE_ILLEGAL_KEY', `input key/keyPrefix '${key}' can't contain '${KEY_SEPARATOR}'`, undefined, { resource: store, field: key });
      }
      return prefix + key;
    },
    strip: (stored) => (prefix !== '' && stored.startsWith(prefix) ? stored.slice(prefix.length) : stored),
  };
}
