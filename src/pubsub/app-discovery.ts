// What the sidecar asks its app at start-up, as daprd does: GET /dapr/config (HTTP apps; the
// actor settings — Pillion has no actors, so the answer is only logged) and the programmatic
// subscriptions (GET /dapr/subscribe, or AppCallback/ListTopicSubscriptions for gRPC apps).
// The app token is SET on each call. A channel failure is tried again a few times; a missing
// endpoint (404 / UNIMPLEMENTED) means "none".
import type { Logger } from '../observability/logger.js';
import type { AppResponse } from '../appchannel/channel.js';
import type { UnaryResult } from '../appchannel/grpc-unary.js';
import type { AppAccess } from './delivery.js';
import { loadMatchEngine } from './match.js';
import { parseGrpcSubscriptions, parseHttpSubscriptions, type Parsed } from './programmatic.js';
import type { Subscription } from './subscription.js';

const LIST_TOPIC_SUBSCRIPTIONS = '/dapr.proto.runtime.v1.AppCallback/ListTopicSubscriptions';
const ATTEMPTS = 3;
const PAUSE_MS = 500;

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

async function withRetries<T>(what: string, log: Logger, signal: AbortSignal, call: () => Promise<T>): Promise<T | undefined> {
  for (let attempt = 1; attempt <= ATTEMPTS && !signal.aborted; attempt++) {
    try {
      return await call();
    } catch (err) {
      const last = attempt === ATTEMPTS;
      log[last ? 'error' : 'debug'](`${what} failed (attempt ${attempt} of ${ATTEMPTS}): ${(err as Error).message}`);
      if (!last) await pause(PAUSE_MS, signal);
    }
  }
  return undefined;
}

const tokenHeaders = (app: AppAccess): Array<[string, string]> => (app.token ? [[app.tokenHeader, app.token]] : []);

function httpGet(app: AppAccess, appId: string, path: string, signal: AbortSignal): Promise<AppResponse> {
  return app.channel.invoke({
    verb: 'GET',
    method: path,
    query: '',
    headers: [['content-type', 'application/json'], ['dapr-app-id', appId], ...tokenHeaders(app)],
    body: new Uint8Array(),
    signal,
  });
}

export async function fetchAppConfig(app: AppAccess, appId: string, log: Logger, signal: AbortSignal): Promise<void> {
  const res = await withRetries('GET /dapr/config', log, signal, () => httpGet(app, appId, 'dapr/config', signal));
  if (!res || res.status === 404) return;
  if (res.status !== 200) return log.debug(`GET /dapr/config answered ${res.status}; ignored`);
  log.debug('GET /dapr/config answered; Pillion has no actor runtime, so its settings are not used');
}

function report(parsed: Parsed, log: Logger): Subscription[] {
  for (const p of parsed.problems) log.warn(p);
  return parsed.subscriptions;
}

export async function fetchSubscriptions(app: AppAccess, appId: string, log: Logger, signal: AbortSignal): Promise<Subscription[]> {
  if (app.channel.protocol === 'grpc') {
    const unary = app.channel.unary?.bind(app.channel);
    if (!unary) return [];
    const res: UnaryResult | undefined = await withRetries('AppCallback/ListTopicSubscriptions', log, signal, () =>
      unary({ path: LIST_TOPIC_SUBSCRIPTIONS, message: new Uint8Array(), metadata: tokenHeaders(app), signal }));
    if (!res) return [];
    if (res.code === 12) {
      log.info('pubsub subscriptions: gRPC app does not implement ListTopicSubscriptions');
      return [];
    }
    if (res.code !== 0) {
      log.error(`error getting topic list from app: code ${res.code}: ${res.statusMessage}`);
      return [];
    }
    await loadMatchEngine(); // `match` rules are compiled while the answer is parsed
    try {
      return report(parseGrpcSubscriptions(res.message ?? new Uint8Array()), log);
    } catch (err) {
      log.error(`error getting topics from app: the answer is not a ListTopicSubscriptionsResponse (${(err as Error).message})`);
      return [];
    }
  }
  const res = await withRetries('GET /dapr/subscribe', log, signal, () => httpGet(app, appId, 'dapr/subscribe', signal));
  if (!res) return [];
  if (res.status === 404) {
    log.debug('user app did not subscribe to any topic');
    return [];
  }
  if (res.status !== 200) {
    log.error(`app returned http status code ${res.status} from subscription endpoint`);
    return [];
  }
  await loadMatchEngine();
  return report(parseHttpSubscriptions(res.body), log);
}
