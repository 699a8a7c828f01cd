import { describe, expect, it } from 'vitest';
import { MAX_BUNDLE_BYTES, MAX_EVENTS_PER_BUNDLE, packEvents, unpackEvents } from './event-bundle.ts';

const event = (type: string, n: number, padding = '') => ({
  type,
  body: JSON.stringify({ id: `e-${n}`, type, data: { n, padding } }),
});
const bundled = new Set(['order.placed']);

describe('event bundles', () => {
  it('pack consecutive bulk events into messages of at most MAX_EVENTS_PER_BUNDLE, others alone, in order', () => {
    const events = [
      ...Array.from({ length: 30 }, (_, n) => event('order.placed', n)),
      event('replenishment.requested', 30),
      ...Array.from({ length: 3 }, (_, n) => event('order.placed', 31 + n)),
    ];
    const messages = packEvents(events, bundled);
    expect(messages.map((m) => [m.type, m.events.length])).toEqual([
      ['order.placed', MAX_EVENTS_PER_BUNDLE],
      ['order.placed', 30 - MAX_EVENTS_PER_BUNDLE],
      ['replenishment.requested', 1],
      ['order.placed', 3],
    ]);
    // A lone event's body is the envelope itself; a bundle's is an array that unpacks to the same bodies.
    expect(messages[2]!.body).toBe(events[30]!.body);
    const unpacked = messages.flatMap((m) => unpackEvents(m.body));
    expect(unpacked).toEqual(events.map((e) => e.body));
  });

  it('start a new bundle before one would pass the size limit', () => {
    const big = 'x'.repeat(40 * 1024);
    const messages = packEvents(
      Array.from({ length: 7 }, (_, n) => event('order.placed', n, big)),
      bundled,
    );
    expect(messages.length).toBeGreaterThan(1);
    for (const message of messages) expect(Buffer.byteLength(message.body)).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
    expect(messages.reduce((sum, m) => sum + m.events.length, 0)).toBe(7);
  });

  it('pass any body that is not a bundle through untouched, for the event parser to judge', () => {
    for (const body of ['{"id":"e-1"}', 'not json', '[', '[]', '   ', '{"a":[1]}']) {
      expect(unpackEvents(body)).toEqual([body]);
    }
    expect(unpackEvents('[{"a":1},{"b":2}]')).toEqual(['{"a":1}', '{"b":2}']);
  });
});
