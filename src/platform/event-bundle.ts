/**
 * Bulk events (a flash sale's `order.placed`) travel several to one SNS/SQS message: the body is a JSON
 * array of event envelopes, all of one type, so the `type` attribute and its filter policies still
 * route them. One publish, one delivery and one delete then carry up to MAX_EVENTS_PER_BUNDLE events
 * instead of one each. Every other event travels alone, its body a single envelope object.
 */
export const MAX_EVENTS_PER_BUNDLE = 25;
/** Well under SNS's 256 KiB message limit, whatever the events hold. */
export const MAX_BUNDLE_BYTES = 128 * 1024;

export interface OutboundEvent {
  readonly type: string;
  /** The envelope, as JSON. */
  readonly body: string;
}

export interface OutboundMessage<E extends OutboundEvent> {
  readonly type: string;
  readonly body: string;
  /** The events this message carries, in outbox order. */
  readonly events: readonly E[];
}

/**
 * Packs events, in order, into messages: consecutive events of a bundled type share a message (up to
 * the count and size limits); any other event gets a message of its own.
 */
export function packEvents<E extends OutboundEvent>(
  events: readonly E[],
  bundledTypes: ReadonlySet<string>,
): OutboundMessage<E>[] {
  const messages: OutboundMessage<E>[] = [];
  let bundle: E[] = [];
  let bytes = 0;
  const flush = () => {
    if (bundle.length === 0) return;
    messages.push({ type: bundle[0]!.type, body: `[${bundle.map((e) => e.body).join(',')}]`, events: bundle });
    bundle = [];
    bytes = 0;
  };
  for (const event of events) {
    if (!bundledTypes.has(event.type)) {
      flush();
      messages.push({ type: event.type, body: event.body, events: [event] });
      continue;
    }
    const size = Buffer.byteLength(event.body) + 1;
    if (
      bundle.length > 0 &&
      (bundle[0]!.type !== event.type || bundle.length >= MAX_EVENTS_PER_BUNDLE || bytes + size > MAX_BUNDLE_BYTES)
    ) {
      flush();
    }
    bundle.push(event);
    bytes += size;
  }
  flush();
  return messages;
}

/**
 * The event bodies a message carries: the elements of a bundle, or the body itself. A body that is not
 * a JSON array is passed on untouched, so the event's own parser reports what is wrong with it.
 */
export function unpackEvents(body: string): string[] {
  if (!body.trimStart().startsWith('[')) return [body];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [body];
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return [body];
  return parsed.map((event) => JSON.stringify(event));
}
