/** Opens the control-plane store (SQLite through Kysely) and brings its schema up to date. */
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type MigrationProvider } from 'kysely';
import type { Database } from './schema.js';
import { migrations } from './migrations.js';

export type Store = Kysely<Database>;

export async function openStore(file: string): Promise<Store> {
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`store ${file}: migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message}`);
  }
  return db;
}

export const now = () => new Date().toISOString();
export type { Database } from './schema.js';
