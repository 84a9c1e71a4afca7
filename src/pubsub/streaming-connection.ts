// One streaming subscriber (Dapr/SubscribeTopicEventsAlpha1) as the delivery side sees it.
// Each event goes down the client's stream as a TopicEventRequest (built exactly as for a gRPC
// app) and waits for the client's event-processed answer with the same id; the answer's status
// means what a gRPC app's TopicEventResponse means (unset = SUCCESS, unknown = retry).
// Nothing is sent before open(): the stream's first message must be the initial response.
// When the stream ends, every event still waiting (and every later one) is a retry, so the
// component redelivers it within its budget — as daprd's "stream closed" error does.
import type { TopicEventRequest } from '../gen/dapr/proto/runtime/v1/appcallback_pb.js';
import { ceString } from '../core/pubsub-cloudevents.js';
import { topicEventMessage, topicEventOutcome, type Delivery, type Outcome } from './delivery.js';

/** The client's answer to one event (SubscribeTopicEventsRequestProcessedAlpha1). */
export interface ProcessedAnswer {
  readonly id: string;
  readonly status?: { readonly status: number };
}

export type SendEvent = (event: TopicEventRequest) => Promise<void>;

const closedOutcome = (eventId: string): Outcome => ({
  result: 'retry',
  level: 'warn',
  detail: `stream closed while processing pub/sub event ${eventId}; it is left to the component to redeliver`,
});

export class StreamConnection {
  // Answers are matched by event id; two events in flight with the same id are answered in
  // the order they were sent (daprd would let the second overwrite the first).
  private readonly waiting = new Map<string, Array<(o: Outcome) => void>>();
  private closed = false;
  private opened!: () => void;
  private readonly ready = new Promise<void>((r) => (this.opened = r));

  constructor(private readonly send: SendEvent) {}

  /** the initial response went out: events may follow */
  open(): void {
    this.opened();
  }

  /** events sent and not yet answered */
  get inFlight(): number {
    let n = 0;
    for (const list of this.waiting.values()) n += list.length;
    return n;
  }

  async deliver(d: Delivery, signal?: AbortSignal): Promise<Outcome> {
    const eventId = ceString(d.cloudEvent, 'id');
    await this.ready; // close() opens it too
    if (this.closed || signal?.aborted) return closedOutcome(eventId);
    let resolve!: (o: Outcome) => void;
    const answer = new Promise<Outcome>((r) => (resolve = r));
    const list = this.waiting.get(eventId) ?? [];
    list.push(resolve);
    this.waiting.set(eventId, list);
    const onAbort = (): void => this.settle(eventId, resolve, closedOutcome(eventId));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.send(topicEventMessage(d));
    } catch (err) {
      this.settle(eventId, resolve, { result: 'retry', level: 'warn', detail: `error returned from app while processing pub/sub event ${eventId}: ${(err as Error).message}` });
    }
    try {
      return await answer;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The client answered; false when no event with that id waits (daprd logs it and goes on). */
  processed(a: ProcessedAnswer): boolean {
    const first = this.waiting.get(a.id)?.[0];
    if (!first) return false;
    this.settle(a.id, first, topicEventOutcome(a.status?.status ?? 0, a.id));
    return true;
  }

  /** The stream ended: every waiting event (and any later one) is a retry. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.opened();
    for (const [eventId, list] of [...this.waiting]) for (const r of [...list]) this.settle(eventId, r, closedOutcome(eventId));
  }

  private settle(eventId: string, resolve: (o: Outcome) => void, o: Outcome): void {
    const list = this.waiting.get(eventId);
    const i = list?.indexOf(resolve) ?? -1;
    if (i < 0) return; // already settled
    list!.splice(i, 1);
    if (!list!.length) this.waiting.delete(eventId);
    resolve(o);
  }
}
