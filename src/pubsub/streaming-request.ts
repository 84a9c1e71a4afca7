// The opening message of a streaming subscription (Dapr/SubscribeTopicEventsAlpha1), read as
// daprd 1.17 reads it (pkg/api/grpc/subscribe.go): the first message must be an initial
// request with a pubsub name and a topic; it becomes a subscription with the single route "/"
// (what TopicEventRequest.path then says), the request's metadata (passed to the component,
// `rawPayload` included) and its dead-letter topic. Pure.
import type { SubscribeTopicEventsRequestAlpha1 } from '../gen/dapr/proto/runtime/v1/pubsub_pb.js';
import type { Subscription } from './subscription.js';

/** A refused opening message; daprd answers these with plain errors (gRPC Unknown). */
export class StreamRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamRequestError';
  }
}

/** The route every streamed event carries (daprd: `Routes{Default: "/"}`). */
export const STREAM_ROUTE = '/';

export function streamingSubscription(first: SubscribeTopicEventsRequestAlpha1, connectionId: number): Subscription {
  const type = first.subscribeTopicEventsRequestType;
  if (type.case !== 'initialRequest') throw new StreamRequestError('initial request is required');
  const req = type.value;
  if (req.pubsubName === '') throw new StreamRequestError('pubsubName is required');
  if (req.topic === '') throw new StreamRequestError('topic is required');
  return {
    pubsubName: req.pubsubName,
    topic: req.topic,
    metadata: { ...req.metadata },
    rules: [{ match: '', path: STREAM_ROUTE }],
    deadLetterTopic: req.deadLetterTopic ?? '',
    kind: 'streaming',
    source: `stream ${connectionId}`,
    bulkSubscribe: undefined,
  };
}
