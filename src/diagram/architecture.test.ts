import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadLetterQueueName, topology } from '../topology.ts';
import { buildGraph, OUTBOUND_CALLS, renderMermaid, renderSvg } from './architecture.ts';

const docs = path.resolve(import.meta.dirname, '../../docs');

describe('architecture diagram', () => {
  it('is committed as generated from the current topology (run `npm run diagram` when this fails)', async () => {
    expect(await readFile(path.join(docs, 'architecture.mmd'), 'utf8')).toBe(renderMermaid(topology));
    expect(await readFile(path.join(docs, 'architecture.svg'), 'utf8')).toBe(renderSvg(topology));
  });

  it('shows every service, queue with its DLQ and consumer, database and the topic', () => {
    const svg = renderSvg(topology);
    const mermaid = renderMermaid(topology);
    const names = [
      topology.topic.name,
      ...Object.keys(topology.services),
      ...topology.databases.map((d) => d.name),
      ...topology.queues.flatMap((q) => [q.name, deadLetterQueueName(q), q.consumer.handler]),
    ];
    for (const name of names) {
      expect(svg, name).toContain(`>${name}</text>`);
      expect(mermaid, name).toContain(name);
    }
    for (const external of ['legacy factory', 'SES']) expect(svg).toContain(`>${external}</text>`);
  });

  it('gives every queue a live-count label on its subscription, consumer and DLQ edges', () => {
    const svg = renderSvg(topology);
    for (const queue of topology.queues) {
      expect(svg).toContain(`data-live="consume:${queue.name}"`);
      expect(svg).toContain(`data-live="dlq:${queue.name}"`);
      expect(svg).toContain(`data-live="${queue.events.length > 0 ? 'sub' : 'send'}:${queue.name}"`);
    }
  });

  it('connects only declared nodes, and names only declared consumers for outbound calls', () => {
    const { nodes, edges } = buildGraph(topology);
    const ids = new Set(nodes.map((n) => n.id));
    for (const edge of edges) {
      expect(ids.has(edge.from), edge.id).toBe(true);
      expect(ids.has(edge.to), edge.id).toBe(true);
    }
    expect(new Set(edges.map((e) => e.id)).size).toBe(edges.length);
    const consumers = new Set(topology.queues.map((q) => `${q.consumer.service}.${q.consumer.handler}`));
    for (const consumer of Object.keys(OUTBOUND_CALLS)) expect(consumers, consumer).toContain(consumer);
  });
});
