import type { Kysely, Migration } from 'kysely';
import type { CustomersTables } from '../databases/customers/tables.ts';
import { inventoryMigrations } from '../databases/inventory/migrations.ts';
import type { InventoryTables } from '../databases/inventory/tables.ts';
import type { NotificationsTables } from '../databases/notifications/tables.ts';
import { customersMigrations } from '../services/customers/index.ts';
import { notificationsMigrations } from '../services/notifications/index.ts';
import type { DatabaseName } from '../topology.ts';

/** The tables of each database the topology declares, by its name there. */
export interface DatabaseTables extends Record<DatabaseName, object> {
  inventory: InventoryTables;
  customers: CustomersTables;
  notifications: NotificationsTables;
}

/** One open connection per database, by its topology name: what services are built from. */
export type Databases = { readonly [D in DatabaseName]: Kysely<DatabaseTables[D]> };

/**
 * The migrations of each database, by its topology name: the embedded system opens each database with
 * them, and the AWS migration function (one per database) applies them.
 */
export const databaseMigrations: { readonly [D in DatabaseName]: Record<string, Migration> } = {
  inventory: inventoryMigrations,
  customers: customersMigrations,
  notifications: notificationsMigrations,
};
