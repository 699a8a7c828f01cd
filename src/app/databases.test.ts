import { describe, expect, it } from 'vitest';
import { MIGRATION_NAMES } from '../databases/migration-names.ts';
import { topology } from '../topology.ts';
import { databaseMigrations } from './databases.ts';

describe('database migrations', () => {
  it('are registered for every database the topology declares', () => {
    expect(Object.keys(databaseMigrations).sort()).toEqual(topology.databases.map((d) => d.name).sort());
  });

  it('are listed by name, in order, for the CDK stack (src/databases/migration-names.ts)', () => {
    for (const [database, migrations] of Object.entries(databaseMigrations)) {
      expect(MIGRATION_NAMES[database as keyof typeof MIGRATION_NAMES], database).toEqual(Object.keys(migrations));
    }
    expect(Object.keys(MIGRATION_NAMES).sort()).toEqual(Object.keys(databaseMigrations).sort());
  });
});
