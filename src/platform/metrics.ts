import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EventEnvelope } from '../contract/events.ts';

export interface MetricsSources {
  /** Current stock per sku, read at scrape time. */
  readonly stock: () => Promise<readonly { sku: string; stock: number }[]>;
  /** Queue depths, read at scrape time. */
  readonly queues: () => Promise<
    readonly { name: string; messages: number; inFlight: number; deadLetter: { messages: number } }[]
  >;
}

/**
 * The system's Prometheus metrics, one registry per running system. Counters are fed by the platform
 * (gateway, pollers, outbox relay), never by service code; gauges are read from the source at scrape time.
 */
export class SystemMetrics {
  readonly registry = new Registry();
  readonly #checkouts: Counter<'result'>;
  readonly #consumerRecords: Counter<'queue' | 'outcome'>;
  readonly #replenishmentSeconds: Histogram;
  readonly #eventsPublished: Counter<'type'>;
  readonly #dashboardStreams: Gauge;
  readonly #dashboardWrites: Counter<'outcome'>;
  readonly #dashboardStreamsRefused: Counter;
  readonly #dashboardStreamsDropped: Counter;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'donut_' });
    this.#checkouts = new Counter({
      name: 'donut_checkouts_total',
      help: 'Checkouts by result: placed, replayed, out_of_stock, rejected (other 4xx), error (5xx).',
      labelNames: ['result'],
      registers,
    });
    this.#consumerRecords = new Counter({
      name: 'donut_consumer_records_total',
      help: 'Queue records handled, by queue and outcome (succeeded, failed).',
      labelNames: ['queue', 'outcome'],
      registers,
    });
    this.#replenishmentSeconds = new Histogram({
      name: 'donut_replenishment_duration_seconds',
      help: 'From replenishment requested to stock raised.',
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    this.#eventsPublished = new Counter({
      name: 'donut_events_published_total',
      help: 'Events published from the outbox to the topic, by type.',
      labelNames: ['type'],
      registers,
    });
    this.#dashboardStreams = new Gauge({
      name: 'donut_dashboard_streams',
      help: 'Dashboard event streams open now.',
      registers,
    });
    this.#dashboardWrites = new Counter({
      name: 'donut_dashboard_stream_writes_total',
      help: 'Dashboard snapshots per stream: sent, or skipped because the reader had not taken the last one.',
      labelNames: ['outcome'],
      registers,
    });
    this.#dashboardWrites.inc({ outcome: 'sent' }, 0);
    this.#dashboardWrites.inc({ outcome: 'skipped' }, 0);
    this.#dashboardStreamsRefused = new Counter({
      name: 'donut_dashboard_streams_refused_total',
      help: 'Dashboard event streams refused with 429: as many as allowed were open.',
      registers,
    });
    this.#dashboardStreamsDropped = new Counter({
      name: 'donut_dashboard_streams_dropped_total',
      help: 'Dashboard event streams closed by the server because their reader stopped reading.',
      registers,
    });
    new Gauge({
      name: 'donut_stock',
      help: 'Units in stock, by sku.',
      labelNames: ['sku'],
      registers,
      async collect() {
        this.reset();
        for (const { sku, stock } of await sources.stock()) this.set({ sku }, stock);
      },
    });
    // One scrape reads the queues once for all three gauges.
    let depths: ReturnType<MetricsSources['queues']> | null = null;
    const readDepths = () => {
      depths ??= sources.queues().finally(() => setTimeout(() => (depths = null), 0));
      return depths;
    };
    const queueGauge = (
      name: string,
      help: string,
      pick: (q: Awaited<ReturnType<MetricsSources['queues']>>[number]) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['queue'],
        registers,
        async collect() {
          this.reset();
          for (const queue of await readDepths()) this.set({ queue: queue.name }, pick(queue));
        },
      });
    queueGauge('donut_queue_messages', 'Messages waiting in each work queue.', (q) => q.messages);
    queueGauge('donut_queue_in_flight', 'Messages received but not yet deleted, per work queue.', (q) => q.inFlight);
    queueGauge('donut_dlq_messages', "Messages in each work queue's dead-letter queue.", (q) => q.deadLetter.messages);
  }

  /** Classifies a finished POST /checkout by its status. */
  checkoutAnswered(status: number, replayed: boolean): void {
    const result =
      status === 201
        ? replayed
          ? 'replayed'
          : 'placed'
        : status === 409
          ? 'out_of_stock'
          : status >= 500
            ? 'error'
            : 'rejected';
    this.#checkouts.inc({ result });
  }

  consumerBatch(queue: string, succeeded: number, failed: number): void {
    if (succeeded > 0) this.#consumerRecords.inc({ queue, outcome: 'succeeded' }, succeeded);
    if (failed > 0) this.#consumerRecords.inc({ queue, outcome: 'failed' }, failed);
  }

  /** The dashboard's live feed, as it happens (see services/dashboard/live-feed.ts). */
  readonly dashboardFeed = {
    streams: (open: number): void => this.#dashboardStreams.set(open),
    write: (outcome: 'sent' | 'skipped'): void => this.#dashboardWrites.inc({ outcome }),
    refused: (): void => this.#dashboardStreamsRefused.inc(),
    dropped: (): void => this.#dashboardStreamsDropped.inc(),
  };

  /**
   * An event the topic accepted, as published: counted, and business timings derived from it (its body
   * parsed only when a metric needs its data).
   */
  eventPublished(type: string, body: string): void {
    this.#eventsPublished.inc({ type });
    if (type === 'replenishment.completed') {
      const data = (JSON.parse(body) as EventEnvelope).data as { requestedAt?: string; completedAt?: string };
      if (data.requestedAt && data.completedAt) {
        const seconds = (Date.parse(data.completedAt) - Date.parse(data.requestedAt)) / 1000;
        if (Number.isFinite(seconds) && seconds >= 0) this.#replenishmentSeconds.observe(seconds);
      }
    }
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
