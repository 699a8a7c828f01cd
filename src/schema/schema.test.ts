import { readFile } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createPostgresDatabases, ENGINES } from '../../test/helpers/system.ts';
import { postgresDatabase } from '../platform/db/database.ts';
import { renderSchemas } from './schema.ts';

describe('schema.sql', () => {
  for (const engine of ENGINES) {
    // Creating a PGlite cluster runs initdb in WebAssembly: slow on a busy machine.
    it(`is committed as the migrations leave a fresh ${engine} database (run \`npm run schema\` when this fails)`, {
      timeout: 180_000,
    }, async () => {
      let db: Kysely<any> | undefined;
      if (engine === 'postgres') {
        db = postgresDatabase({ connectionString: Object.values(await createPostgresDatabases())[0], max: 1 });
      }
      try {
        for (const [file, text] of await renderSchemas(db)) expect(await readFile(file, 'utf8'), file).toBe(text);
      } finally {
        await db?.destroy();
      }
    });
  }

  it('shows the checkout function a reader comes for, with its body', async () => {
    const inventory = await readFile(new URL('../databases/inventory/schema.sql', import.meta.url), 'utf8');
    expect(inventory).toMatch(/^CREATE OR REPLACE FUNCTION place_orders\(p_items jsonb, /m);
    expect(inventory).toMatch(/^declare\n {2}it record;$/m);
  });
});
