import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { topology } from '../topology.ts';
import { renderMermaid, renderSvg } from './architecture.ts';

// `npm run diagram`: writes the architecture picture of src/topology.ts into docs/.
const docs = path.resolve(import.meta.dirname, '../../docs');
await mkdir(docs, { recursive: true });
await writeFile(path.join(docs, 'architecture.mmd'), renderMermaid(topology));
await writeFile(path.join(docs, 'architecture.svg'), renderSvg(topology));
process.stdout.write(`wrote ${path.join(docs, 'architecture.mmd')} and architecture.svg\n`);
