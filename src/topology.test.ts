import { describe, expect, it } from 'vitest';
import { deadLetterQueueName, topology } from './topology.ts';

describe('topology', () => {
  it('gives every queue a dead-letter queue with a bounded receive count', () => {
    for (const queue of topology.queues) {
      expect(deadLetterQueueName(queue)).toBe(`${queue.name}-dlq`);
      expect(queue.maxReceiveCount, queue.name).toBeGreaterThanOrEqual(1);
      expect(queue.visibilityTimeoutS, queue.name).toBeGreaterThan(0);
    }
  });

  it('feeds every queue from the topic or from a named producer', () => {
    for (const queue of topology.queues) {
      expect(queue.events.length > 0 || queue.producer !== undefined, queue.name).toBe(true);
    }
  });

  it('routes only declared events, each with a producing service', () => {
    const declared = new Set(topology.events.map((e) => e.name));
    for (const queue of topology.queues) for (const event of queue.events) expect(declared.has(event)).toBe(true);
    for (const event of topology.events) expect(Object.keys(topology.services)).toContain(event.producer);
  });

  it('names queues in kebab-case and declares each route once', () => {
    for (const queue of topology.queues) expect(queue.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
    const keys = topology.routes.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('assigns every route and consumer to a declared service', () => {
    const services = Object.keys(topology.services);
    for (const route of topology.routes) expect(services).toContain(route.service);
    for (const queue of topology.queues) expect(services).toContain(queue.consumer.service);
  });
});
