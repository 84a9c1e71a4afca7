// `pillion state get|set|delete`: one key of a state store through the sidecar (the state
// API over HTTP or gRPC), sending the API token. The Dapr CLI has no such command; the flags
// follow its style (--app-id, --data, --data-file, --metadata, -u).
import { Dapr } from '../../client/index.js';
import { parseOptions, runCommand, UsageError } from './common.js';
import type { Command } from './index.js';
import { CommandError, CONNECTION_OPTIONS, CONNECTION_USAGE, connect, httpFailure, jsonValue, payload, withConnection, writeOut, type Connection } from './sidecar-client.js';

export const STATE_USAGE = `Usage: pillion state get    --key <key> [--store <name>] [--output value|json] [flags]
       pillion state set    --key <key> [--store <name>] (--data <value> | --data-file <file|->) [--etag <etag>] [flags]
       pillion state delete --key <key> [--store <name>] [--etag <etag>] [flags]

get      prints the stored value on stdout (with --output json: {"key","value","etag"});
         a key that does not exist exits 1 with a message on stderr
set      saves the value: JSON is stored as JSON, any other text as a JSON string (as the
         HTTP state API does); same bytes over --protocol http and grpc
delete   deletes the key
Exit 0 on success, 1 on an error (Dapr's error code and message on stderr), 2 for bad flags.

  -s, --store <name>             the state store (default statestore, Pillion's default store)
  -k, --key <key>                the key (required)
  -d, --data <value>             set: the value
  -f, --data-file <file>         set: the value from a file ("-" = stdin)
  --etag <etag>                  set/delete: only if the stored ETag still matches
  -m, --metadata <json>          metadata for the store, a JSON object of strings (e.g. '{"ttlInSeconds":"60"}')
  -o, --output value|json        get: what to print (default value)
  -a, --app-id <id>              the sidecar's app: names its socket in a --unix-domain-socket folder

${CONNECTION_USAGE}`;

interface Op {
  readonly store: string;
  readonly key: string;
  readonly metadata: Record<string, string>;
}

export const state: Command = (argv, env) =>
  runCommand(`state ${argv[0] ?? ''}`.trim(), STATE_USAGE, async () => {
    const [sub, ...rest] = argv;
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      process.stdout.write(STATE_USAGE);
      return 0;
    }
    if (sub === undefined) throw new UsageError('a subcommand is required (get, set or delete)');
    if (sub !== 'get' && sub !== 'set' && sub !== 'delete') throw new UsageError(`unknown subcommand ${JSON.stringify(sub)} (get, set or delete)`);
    const { values: v } = parseOptions(rest, {
      ...CONNECTION_OPTIONS,
      store: { type: 'string', short: 's' },
      key: { type: 'string', short: 'k' },
      data: { type: 'string', short: 'd' },
      'data-file': { type: 'string', short: 'f' },
      etag: { type: 'string' },
      metadata: { type: 'string', short: 'm' },
      output: { type: 'string', short: 'o' },
      'app-id': { type: 'string', short: 'a' },
    });
    if (v.help) {
      process.stdout.write(STATE_USAGE);
      return 0;
    }
    if (!v.key) throw new UsageError('--key is required');
    const op: Op = { store: v.store || 'statestore', key: v.key, metadata: metadataOf(v.metadata) };
    const output = v.output ?? 'value';
    if (output !== 'value' && output !== 'json') throw new UsageError(`--output: ${JSON.stringify(output)} is not value or json`);
    if (sub !== 'get' && v.output !== undefined) throw new UsageError('--output is for get');
    if (sub !== 'set' && (v.data !== undefined || v['data-file'] !== undefined)) throw new UsageError('--data and --data-file are for set');
    if (sub === 'get' && v.etag !== undefined) throw new UsageError('--etag is for set and delete');
    const value = sub === 'set' ? payload(v.data, v['data-file']) : undefined;
    if (sub === 'set' && value === undefined) throw new UsageError('set needs --data or --data-file');
    const c = connect(v, env, v['app-id']);
    return withConnection(c, async () => {
      if (sub === 'get') return get(c, op, output);
      if (sub === 'set') return set(c, op, value!, v.etag);
      return del(c, op, v.etag);
    });
  });

function metadataOf(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  const parsed = jsonValue(Buffer.from(text))?.value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--metadata must be a JSON object, e.g. \'{"ttlInSeconds":"60"}\'');
  return Object.fromEntries(Object.entries(parsed).map(([k, val]) => [k, typeof val === 'string' ? val : JSON.stringify(val)]));
}

const keyPath = (op: Op): string => `/v1.0/state/${encodeURIComponent(op.store)}/${encodeURIComponent(op.key)}`;
const query = (op: Op): string => {
  const q = new URLSearchParams(Object.entries(op.metadata).map(([k, val]): [string, string] => [`metadata.${k}`, val])).toString();
  return q ? `?${q}` : '';
};

async function get(c: Connection, op: Op, output: 'value' | 'json'): Promise<number> {
  let data: Uint8Array;
  let etag = '';
  if (c.protocol === 'http') {
    const res = await c.client.http('GET', keyPath(op) + query(op));
    if (res.status < 200 || res.status >= 300) throw httpFailure(c, res);
    data = res.body;
    etag = String(res.headers.etag ?? '');
    if (res.status === 204) return notFound(op);
  } else {
    const res = await c.client.grpc(Dapr.method.getState, { storeName: op.store, key: op.key, metadata: op.metadata });
    data = res.data;
    etag = res.etag;
    // GetState answers an empty message for a missing key
    if (!data.length && !etag) return notFound(op);
  }
  if (output === 'value') writeOut(data);
  else writeOut(JSON.stringify({ key: op.key, value: jsonValue(data)?.value ?? Buffer.from(data).toString('utf8'), etag }) + '\n');
  return 0;
}

function notFound(op: Op): never {
  throw new CommandError(`key ${JSON.stringify(op.key)} not found in state store ${JSON.stringify(op.store)}`);
}

async function set(c: Connection, op: Op, raw: Buffer, etag: string | undefined): Promise<number> {
  // The HTTP API stores a JSON value as JSON; text that is not JSON becomes a JSON string.
  const value = jsonValue(raw)?.value ?? raw.toString('utf8');
  if (c.protocol === 'http') {
    const item = { key: op.key, value, ...(etag !== undefined ? { etag } : {}), ...(Object.keys(op.metadata).length ? { metadata: op.metadata } : {}) };
    const res = await c.client.http('POST', `/v1.0/state/${encodeURIComponent(op.store)}`, [item]);
    if (res.status < 200 || res.status >= 300) throw httpFailure(c, res);
  } else {
    // contentType application/json makes the sidecar store the bytes the HTTP way, so both
    // protocols store the same value.
    await c.client.grpc(Dapr.method.saveState, {
      storeName: op.store,
      states: [{ key: op.key, value: Buffer.from(JSON.stringify(value)), ...(etag !== undefined ? { etag: { value: etag } } : {}), metadata: { ...op.metadata, contentType: 'application/json' } }],
    });
  }
  return 0;
}

async function del(c: Connection, op: Op, etag: string | undefined): Promise<number> {
  if (c.protocol === 'http') {
    const res = await c.client.http('DELETE', keyPath(op) + query(op), undefined, etag !== undefined ? { 'if-match': etag } : {});
    if (res.status < 200 || res.status >= 300) throw httpFailure(c, res);
  } else {
    await c.client.grpc(Dapr.method.deleteState, { storeName: op.store, key: op.key, metadata: op.metadata, ...(etag !== undefined ? { etag: { value: etag } } : {}) });
  }
  return 0;
}
