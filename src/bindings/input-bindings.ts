// Runs the input bindings while the app can take events, as daprd's binding processor does:
// start() (the app became reachable / healthy) asks the app which bindings it takes — none
// asked for one whose `direction` names input explicitly — and starts reading those; stop()
// (the app became unhealthy, or shutdown) stops them and waits for the events in flight. A
// gRPC app's `to` answer sends its data on to those output bindings (operation create).
// start/stop calls are queued, so a flapping health check never runs two at once.
import { create } from '@bufbuild/protobuf';
import { InvokeBindingRequestSchema } from '../gen/dapr/proto/runtime/v1/binding_pb.js';
import { BindingEventResponse_BindingEventConcurrency, type BindingEventResponse } from '../gen/dapr/proto/runtime/v1/appcallback_pb.js';
import {
  grpcAppInputBindings,
  httpAppTakesBinding,
  postBindingEvent,
  sendBindingEvent,
  type AppCredentials,
} from '../appchannel/binding-events.js';
import type { AppChannel } from '../appchannel/channel.js';
import { DIRECTION, metadataValue } from '../components/bindings-common.js';
import type { BindingEvent, InputBinding } from '../components/types.js';
import type { CoreContext } from '../core/context.js';
import { invokeBinding } from '../core/bindings.js';
import { goJsonMarshal } from '../core/go-json.js';
import type { Logger } from '../observability/logger.js';
import type { BindingMetrics } from './binding-metrics.js';
import { setMaxListeners } from 'node:events';

export interface InputBindingEntry {
  readonly name: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly input: InputBinding;
}

export interface InputBindingsOptions {
  readonly ctx: CoreContext;
  readonly entries: readonly InputBindingEntry[];
  readonly maxResponseBytes: number;
  readonly logger: Logger;
  readonly metrics?: BindingMetrics;
  /** how long stop() lets deliveries in flight finish before cancelling them */
  readonly graceMs: number;
}

/** daprd's subscription check: 3 s for the app to say which bindings it takes. */
const SUBSCRIBE_CHECK_MS = 3000;

/** `direction` lists input: the app is not asked (daprd's isBindingOfExplicitDirection). */
function explicitInput(metadata: Readonly<Record<string, string>>): boolean {
  const d = metadataValue(metadata, DIRECTION);
  return d !== undefined && d.split(',').some((w) => w.trim().toLowerCase() === 'input');
}

export class InputBindings {
  private readonly active = new Map<string, InputBinding>();
  private queue: Promise<void> = Promise.resolve();
  // One signal shared by every binding's deliveries: as many listeners as bindings, not a leak.
  private deliveries = unlimited(new AbortController());
  private closed = false;

  constructor(private readonly o: InputBindingsOptions) {}

  start(): Promise<void> {
    return this.enqueue(() => this.startAll());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.stopAll());
  }

  /** stop for good (shutdown): later start() calls do nothing */
  close(): Promise<void> {
    this.closed = true;
    return this.stop();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(step, step);
    return this.queue;
  }

  private credentials(): AppCredentials {
    const inv = this.o.ctx.invocation;
    return { token: inv.appToken(), header: inv.tokenHeader.toLowerCase() };
  }

  private async startAll(): Promise<void> {
    const { entries, logger, ctx } = this.o;
    if (this.closed || entries.length === 0) return;
    const channel = ctx.invocation.channel();
    if (!channel) {
      logger.warn(`Input bindings ${entries.map((e) => e.name).join(', ')} are not read: there is no app channel (set --app-port)`);
      return;
    }
    this.deliveries = unlimited(new AbortController());
    let grpcNames: string[] | undefined;
    for (const e of entries) {
      if (this.active.has(e.name)) continue;
      // daprd: metadata named exactly `route` chooses the app path; the binding's name otherwise.
      const route = e.metadata.route || e.name;
      let takes = explicitInput(e.metadata);
      if (!takes) {
        try {
          if (channel.protocol === 'http') {
            takes = await httpAppTakesBinding(channel, route, this.credentials(), AbortSignal.timeout(SUBSCRIBE_CHECK_MS));
          } else {
            grpcNames ??= await grpcAppInputBindings(channel, this.credentials(), { signal: AbortSignal.timeout(SUBSCRIBE_CHECK_MS) });
            takes = grpcNames.includes(e.name);
          }
        } catch (err) {
          logger.warn(`Input binding ${e.name} is not read: asking the app whether it takes it failed: ${(err as Error).message}`);
          continue;
        }
      }
      if (!takes) {
        logger.info(`app has not subscribed to binding ${e.name}.`);
        continue;
      }
      e.input.start((event) => this.deliver(channel, e.name, route, event));
      this.active.set(e.name, e.input);
      logger.info(`Reading input binding ${e.name} (events go to the app ${channel.protocol === 'http' ? `at POST /${route.replace(/^\/+/, '')}` : 'by OnBindingEvent'})`);
    }
  }

  private async stopAll(): Promise<void> {
    const running = [...this.active];
    this.active.clear();
    if (running.length === 0) return;
    const cancel = setTimeout(() => this.deliveries.abort(), Math.max(0, this.o.graceMs));
    await Promise.allSettled(running.map(([, input]) => input.stop()));
    clearTimeout(cancel);
    this.o.logger.info(`Stopped reading input bindings ${running.map(([n]) => n).join(', ')}`);
  }

  private async deliver(channel: AppChannel, name: string, route: string, event: BindingEvent): Promise<Uint8Array> {
    const started = performance.now();
    const signal = this.deliveries.signal;
    try {
      let answer: Uint8Array;
      if (channel.protocol === 'http') {
        answer = await postBindingEvent(channel, route, event, this.credentials(), signal);
      } else {
        const res = await sendBindingEvent(channel, name, event, this.credentials(), { signal });
        answer = res.data;
        if (res.to.length > 0) await this.sendOn(name, res);
      }
      this.o.metrics?.inputEvent(name, true, (performance.now() - started) / 1000);
      return answer;
    } catch (err) {
      this.o.metrics?.inputEvent(name, false, (performance.now() - started) / 1000);
      this.o.logger.warn(`Event of input binding ${name} was not taken by the app: ${(err as Error).message}`);
      throw err;
    }
  }

  /**
   * The app's `to` list: daprd re-encodes `data` (JSON, else null) and sends it with operation
   * create — one after the other, stopping at the first failure, or all at once with PARALLEL.
   * Failures are logged; the event itself counts as delivered.
   */
  private async sendOn(from: string, res: BindingEventResponse): Promise<void> {
    let value: unknown = null;
    try {
      value = JSON.parse(Buffer.from(res.data).toString('utf8'));
    } catch {
      // not JSON: daprd sends null
    }
    const data = Buffer.from(goJsonMarshal(value));
    const send = (to: string): Promise<unknown> =>
      invokeBinding(this.o.ctx, create(InvokeBindingRequestSchema, { name: to, operation: 'create', data }));
    const report = (err: unknown): void => this.o.logger.warn(`Sending the answer to input binding ${from}'s event on failed: ${(err as Error).message}`);
    if (res.concurrency === BindingEventResponse_BindingEventConcurrency.PARALLEL) {
      for (const r of await Promise.allSettled(res.to.map(send))) if (r.status === 'rejected') report(r.reason);
      return;
    }
    for (const to of res.to) {
      try {
        await send(to);
      } catch (err) {
        report(err);
        return;
      }
    }
  }
}

function unlimited(c: AbortController): AbortController {
  setMaxListeners(0, c.signal);
  return c;
}
