// `pillion publish`: publishes an event through the sidecar (POST /v1.0/publish/<pubsub>/<topic>
// or gRPC PublishEvent), sending the API token. Flags mirror `dapr publish`; like the Dapr CLI,
// a body that is a whole CloudEvent (id, source, specversion, type, data) is sent as
// application/cloudevents+json, anything else as application/json unless --content-type says.
import { Dapr } from '../../client/index.js';
import { parseOptions, runCommand, UsageError } from './common.js';
import type { Command } from './index.js';
import { CONNECTION_OPTIONS, CONNECTION_USAGE, connect, httpFailure, jsonValue, payload, withConnection, type Connection } from './sidecar-client.js';

export const PUBLISH_USAGE = `Usage: pillion publish --pubsub <name> --topic <topic> [--data <text> | --data-file <file|->] [flags]

Publishes one event through the sidecar (POST /v1.0/publish/<pubsub>/<topic>, or gRPC
PublishEvent). Exit 0 when the sidecar accepted it, 1 on an error (Dapr's error code and
message on stderr), 2 for bad flags. Prints nothing on stdout.

  -p, --pubsub <name>            the pub/sub component (required)
  -t, --topic <topic>            the topic (required)
  -d, --data <text>              the event (usually JSON)
  -f, --data-file <file>         the event from a file ("-" = stdin)
  -m, --metadata <json>          publish metadata, a JSON object of strings (e.g. '{"rawPayload":"true"}')
  --content-type <type>          of the event (default: application/cloudevents+json for a whole
                                 CloudEvent, else application/json)
  -i, --publish-app-id <id>      the publishing app: names its socket in a --unix-domain-socket folder

${CONNECTION_USAGE}`;

export const publish: Command = (argv, env) =>
  runCommand('publish', PUBLISH_USAGE, async () => {
    const { values: v } = parseOptions(argv, {
      ...CONNECTION_OPTIONS,
      pubsub: { type: 'string', short: 'p' },
      topic: { type: 'string', short: 't' },
      data: { type: 'string', short: 'd' },
      'data-file': { type: 'string', short: 'f' },
      metadata: { type: 'string', short: 'm' },
      'content-type': { type: 'string' },
      'publish-app-id': { type: 'string', short: 'i' },
    });
    if (v.help) {
      process.stdout.write(PUBLISH_USAGE);
      return 0;
    }
    if (!v.pubsub) throw new UsageError('--pubsub is required');
    if (!v.topic) throw new UsageError('--topic is required');
    const metadata = metadataOf(v.metadata);
    const body = payload(v.data, v['data-file']) ?? Buffer.alloc(0);
    const contentType = v['content-type'] ?? (isCloudEvent(body) ? 'application/cloudevents+json' : 'application/json');
    const c = connect(v, env, v['publish-app-id']);
    return withConnection(c, () => (c.protocol === 'http' ? viaHttp(c, v.pubsub!, v.topic!, body, contentType, metadata) : viaGrpc(c, v.pubsub!, v.topic!, body, contentType, metadata)));
  });

function metadataOf(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  const parsed = jsonValue(Buffer.from(text))?.value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('--metadata must be a JSON object, e.g. \'{"rawPayload":"true"}\'');
  return Object.fromEntries(Object.entries(parsed).map(([k, val]) => [k, typeof val === 'string' ? val : JSON.stringify(val)]));
}

function isCloudEvent(body: Buffer): boolean {
  const v = jsonValue(body)?.value;
  return typeof v === 'object' && v !== null && ['id', 'source', 'specversion', 'type', 'data'].every((k) => k in v);
}

async function viaHttp(c: Connection, pubsub: string, topic: string, body: Buffer, contentType: string, metadata: Record<string, string>): Promise<number> {
  const query = new URLSearchParams(Object.entries(metadata).map(([k, val]): [string, string] => [`metadata.${k}`, val])).toString();
  const path = `/v1.0/publish/${encodeURIComponent(pubsub)}/${topic.split('/').map(encodeURIComponent).join('/')}${query ? `?${query}` : ''}`;
  const res = await c.client.http('POST', path, body, { 'content-type': contentType });
  if (res.status >= 200 && res.status < 300) return 0;
  throw httpFailure(c, res);
}

async function viaGrpc(c: Connection, pubsub: string, topic: string, body: Buffer, contentType: string, metadata: Record<string, string>): Promise<number> {
  await c.client.grpc(Dapr.method.publishEvent, { pubsubName: pubsub, topic, data: body, dataContentType: contentType, metadata });
  return 0;
}
