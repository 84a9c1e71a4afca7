// Dapr/SubscribeTopicEventsAlpha1: a client subscribes to one topic over one bidirectional
// stream, without an app. As daprd 1.17 (pkg/api/grpc/subscribe.go, pkg/runtime/pubsub/
// streamer): the first message must be the initial request; the sidecar subscribes on the
// component, answers with an initial response, then sends each event as an event message and
// waits for the client's event-processed answer (id + status). The subscription ends with the
// stream — the client half-closes or cancels, sends a second initial request (refused), or the
// sidecar shuts down — and events still waiting for an answer are retried by the component.
// The API token gate ran before this handler, as on every call; nothing of the caller's
// metadata reaches the events. Refusals daprd answers with plain errors are gRPC Unknown.
import { create } from '@bufbuild/protobuf';
import type { CoreContext } from '../../core/context.js';
import { DaprError, GrpcCode } from '../../errors/table.js';
import {
  SubscribeTopicEventsResponseAlpha1Schema,
  type SubscribeTopicEventsRequestAlpha1,
  type SubscribeTopicEventsResponseAlpha1,
} from '../../gen/dapr/proto/runtime/v1/pubsub_pb.js';
import { StreamConnection } from '../../pubsub/streaming-connection.js';
import { streamingSubscription } from '../../pubsub/streaming-request.js';
import type { BidiHandler, CallContext } from './server.js';
import { GrpcStatusError } from './status.js';

// daprd numbers its subscriber connections; ours name the stream in log lines.
let connections = 0;

const unknown = (err: unknown): Error =>
  err instanceof DaprError || err instanceof GrpcStatusError ? err : new GrpcStatusError(GrpcCode.UNKNOWN, (err as Error).message);

export function subscribeTopicEvents(ctx: CoreContext): BidiHandler {
  return async (reqs: AsyncIterable<SubscribeTopicEventsRequestAlpha1>, call: CallContext, send: (m: SubscribeTopicEventsResponseAlpha1) => Promise<void>) => {
    const messages = reqs[Symbol.asyncIterator]();
    const first = await messages.next();
    if (first.done) {
      if (call.signal.aborted) return; // the caller is gone: nobody to answer
      throw new GrpcStatusError(GrpcCode.UNKNOWN, 'EOF'); // daprd returns Recv's io.EOF
    }
    let sub;
    try {
      sub = streamingSubscription(first.value, ++connections);
    } catch (err) {
      throw unknown(err);
    }
    const streams = ctx.pubsubStreams?.();
    if (!streams) throw new GrpcStatusError(GrpcCode.UNIMPLEMENTED, 'streaming subscriptions are not available on this sidecar');

    const conn = new StreamConnection((event) => send(create(SubscribeTopicEventsResponseAlpha1Schema, { subscribeTopicEventsResponseType: { case: 'eventMessage', value: event } })));
    // The manager stopping ends the stream; one fresh wait per message (racing every read
    // against one long-lived promise would pile reactions onto it for the stream's lifetime).
    let stopping = false;
    let wake: ((v: 'stop') => void) | undefined;
    const stopped = (): void => {
      stopping = true;
      wake?.('stop');
    };
    const nextMessage = () =>
      new Promise<IteratorResult<SubscribeTopicEventsRequestAlpha1> | 'stop'>((resolve, reject) => {
        if (stopping) return resolve('stop');
        wake = resolve;
        messages.next().then(resolve, reject);
      }).finally(() => (wake = undefined));
    let subscription;
    try {
      subscription = await streams.subscribeStream(sub, (d, signal) => conn.deliver(d, signal), stopped);
    } catch (err) {
      throw unknown(err);
    }
    try {
      await send(create(SubscribeTopicEventsResponseAlpha1Schema, { subscribeTopicEventsResponseType: { case: 'initialResponse', value: {} } }));
      conn.open();
      for (;;) {
        const next = await nextMessage();
        if (next === 'stop') throw new GrpcStatusError(GrpcCode.UNKNOWN, 'api server closed');
        // Half-close or cancel: the subscription ends. daprd answers a half-close with its io.EOF
        // (Unknown "EOF"); ending cleanly says the same without calling it an error.
        if (next.done) return;
        const msg = next.value.subscribeTopicEventsRequestType;
        if (msg.case !== 'eventProcessed') throw new GrpcStatusError(GrpcCode.UNKNOWN, 'duplicate initial request received');
        if (!conn.processed(msg.value)) subscription.unexpectedAnswer(msg.value.id);
      }
    } finally {
      conn.close();
      await subscription.close();
    }
  };
}
