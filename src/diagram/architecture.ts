/**
 * The architecture picture, derived from the topology alone so it cannot drift from the code:
 * `npm run diagram` writes docs/architecture.mmd (Mermaid) and docs/architecture.svg (laid out here,
 * in columns: gateway -> services -> topic -> queues with their DLQs -> consumers -> databases and
 * external systems). The dashboard shows the same SVG and writes live counts into the empty
 * `data-live` labels of its edges.
 *
 * The graph (graph.ts), its Mermaid text (mermaid.ts), and its SVG layout (svg-layout.ts) and drawing
 * (svg.ts) are kept apart; this module is the entry.
 */

export { buildGraph, type DiagramEdge, type DiagramGraph, type DiagramNode, OUTBOUND_CALLS } from './graph.ts';
export { renderMermaid } from './mermaid.ts';
export { renderSvg } from './svg.ts';
