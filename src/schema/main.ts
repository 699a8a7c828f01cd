import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderSchemas } from './schema.ts';

// `npm run schema`: writes each database's schema.sql beside its migrations.
for (const [file, text] of await renderSchemas()) {
  await writeFile(file, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
