// Programmatic subscriptions: what the app answers to GET /dapr/subscribe (HTTP apps; the v1
// `route` form and the v2 `routes: {rules, default}` form) or to
// AppCallback/ListTopicSubscriptions (gRPC apps). Pure: bytes in, subscriptions and problems
// out. An entry without any route is skipped with a problem line, as daprd does.
import { fromBinary } from '@bufbuild/protobuf';
import { ListTopicSubscriptionsResponseSchema } from '../gen/dapr/proto/runtime/v1/appcallback_pb.js';
import { buildRules, bulkSettings, type BulkSettings, type Subscription } from './subscription.js';

export interface Parsed {
  readonly subscriptions: Subscription[];
  /** one line per entry that was skipped, saying why */
  readonly problems: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

const INT32_MAX = 2 ** 31 - 1;

/** `bulkSubscribe: {enabled, maxMessagesCount, maxAwaitDurationMs}`; daprd refuses the whole
 * answer over a limit that is not an int32, Pillion takes the default and says so. */
function httpBulk(v: unknown, topic: string, problems: string[]): BulkSettings | undefined {
  if (!isRecord(v)) return undefined;
  const int = (k: 'maxMessagesCount' | 'maxAwaitDurationMs'): number | undefined => {
    const x = v[k];
    if (x === undefined || x === null) return undefined;
    if (typeof x === 'number' && Number.isInteger(x) && Math.abs(x) <= INT32_MAX) return x;
    problems.push(`GET /dapr/subscribe: topic ${JSON.stringify(topic)}: bulkSubscribe.${k} is not a whole number (${JSON.stringify(x)}); the default is used`);
    return undefined;
  };
  return bulkSettings({ enabled: v.enabled === true, maxMessagesCount: int('maxMessagesCount'), maxAwaitDurationMs: int('maxAwaitDurationMs') });
}

function entry(
  source: string, pubsubName: string, topic: string, metadata: Record<string, string>, deadLetterTopic: string, bulk: BulkSettings | undefined,
  rules: ReadonlyArray<{ match?: string; path?: string }>, defaultPath: string, route: string, problems: string[],
): Subscription | undefined {
  const what = `subscription to topic ${JSON.stringify(topic)} of pubsub ${JSON.stringify(pubsubName)} from ${source}`;
  if (!pubsubName || !topic) {
    problems.push(`${what}: pubsubname and topic are required; skipped`);
    return undefined;
  }
  try {
    const built = buildRules(rules, defaultPath, route);
    if (built.length === 0) {
      problems.push(`${what}: it has no route; skipped`);
      return undefined;
    }
    return { pubsubName, topic, metadata, rules: built, deadLetterTopic, kind: 'programmatic', source, bulkSubscribe: bulk };
  } catch (err) {
    problems.push(`${what}: ${(err as Error).message}; skipped`);
    return undefined;
  }
}

/** The body of a 200 answer to GET /dapr/subscribe (an empty body means no subscriptions). */
export function parseHttpSubscriptions(body: Uint8Array): Parsed {
  const problems: string[] = [];
  const text = Buffer.from(body).toString('utf8').trim();
  if (text === '') return { subscriptions: [], problems };
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (err) {
    return { subscriptions: [], problems: [`GET /dapr/subscribe: the answer is not JSON (${(err as Error).message})`] };
  }
  if (!Array.isArray(list)) return { subscriptions: [], problems: ['GET /dapr/subscribe: the answer is not a JSON array'] };
  const subscriptions: Subscription[] = [];
  for (const item of list) {
    if (!isRecord(item)) {
      problems.push('GET /dapr/subscribe: an entry is not an object; skipped');
      continue;
    }
    const routes = isRecord(item.routes) ? item.routes : {};
    const rules = Array.isArray(routes.rules) ? routes.rules.filter(isRecord).map((r) => ({ match: str(r.match), path: str(r.path) })) : [];
    const s = entry(
      'GET /dapr/subscribe', str(item.pubsubname), str(item.topic), stringMap(item.metadata), str(item.deadLetterTopic),
      httpBulk(item.bulkSubscribe, str(item.topic), problems), rules, str(routes.default), str(item.route), problems,
    );
    if (s) subscriptions.push(s);
  }
  return { subscriptions, problems };
}

/** A ListTopicSubscriptionsResponse message. A subscription without routes gets path ''. */
export function parseGrpcSubscriptions(message: Uint8Array): Parsed {
  const problems: string[] = [];
  const res = fromBinary(ListTopicSubscriptionsResponseSchema, message);
  const subscriptions: Subscription[] = [];
  for (const t of res.subscriptions) {
    const rules = (t.routes?.rules ?? []).map((r) => ({ match: r.match, path: r.path }));
    // daprd: a gRPC subscription without any route still receives events (path "").
    const noRoute = rules.length === 0 && !t.routes?.default;
    const s = entry(
      'ListTopicSubscriptions', t.pubsubName, t.topic, { ...t.metadata }, t.deadLetterTopic, bulkSettings(t.bulkSubscribe),
      noRoute ? [{ match: '', path: '' }] : rules, t.routes?.default ?? '', '', problems,
    );
    if (s) subscriptions.push(s);
  }
  return { subscriptions, problems };
}
