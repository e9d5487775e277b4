/** Versioned migrations of the store; append only, never edit one that has shipped. */
import { type Kysely, type Migration, sql } from 'kysely';

export const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('hosts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('runtime', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('installations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('app_version', 'text', (c) => c.notNull())
        .addColumn('package_version', 'integer', (c) => c.notNull())
        .addColumn('host_id', 'text', (c) => c.notNull().references('hosts.id'))
        .addColumn('domain', 'text', (c) => c.notNull().unique())
        .addColumn('config', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('resources')
        .addColumn('installation_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('spec_hash', 'text', (c) => c.notNull())
        .addColumn('outputs', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('resources_pk', ['installation_id', 'key'])
        .execute();
      await db.schema
        .createTable('tasks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('installation_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('percent', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('message', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('error', 'text')
        .addColumn('params', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tasks_status').on('tasks').column('status').execute();
      await db.schema
        .createTable('journal')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('task_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('resource_key', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('journal_task').on('journal').column('task_id').execute();
      await db.schema
        .createTable('task_log')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('task_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('line', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('task_log_task').on('task_log').column('task_id').execute();
      await sql`select 1`.execute(db);
    },
  },
  // Backup targets as data (the built-in "local" one stays in the settings). Which target an
  // installation uses is keyed by installation name, not id: snapshots are tagged by name, so a
  // reinstalled installation finds its snapshots where they were.
  '0002_backup_targets': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('backup_targets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('repo', 'text', (c) => c.notNull())
        .addColumn('env', 'text', (c) => c.notNull())
        .addColumn('password', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('installation_backup_targets')
        .addColumn('installation', 'text', (c) => c.primaryKey())
        .addColumn('target', 'text', (c) => c.notNull())
        .execute();
    },
  },
  // Alerts: what went wrong (events, kept after their installation is gone, so keyed by name
  // too) and where to say it (channels, their configuration sealed).
  '0003_alerts': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('events')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('installation_id', 'text')
        .addColumn('installation', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('task_id', 'text')
        .execute();
      // One event per task at most (a task may report its final status more than once)
      await db.schema.createIndex('events_task').on('events').column('task_id').unique().execute();
      await db.schema.createIndex('events_installation').on('events').column('installation').execute();
      await db.schema
        .createTable('alert_channels')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  // An installation runs the manifest (and images) it was installed or last updated with, not
  // whatever the catalog holds now: the catalog may move on, and only an update moves it along.
  '0004_installation_manifest': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('installations').addColumn('manifest', 'text').execute();
      await db.schema.alterTable('installations').addColumn('images', 'text').execute();
    },
  },
  // OpenTofu/Terraform state served over the HTTP backend protocol: one row per state name with
  // its lock (the lock info JSON the client sent) and what is known of the current version; the
  // built-in state store keeps each version sealed (AES-256-GCM) in tofu_state_versions.
  '0005_tofu_state': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('tofu_states')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('serial', 'integer')
        .addColumn('lineage', 'text')
        .addColumn('md5', 'text')
        .addColumn('size', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('lock_info', 'text')
        .addColumn('locked_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('tofu_state_versions')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('md5', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('serial', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('tofu_state_versions_pk', ['name', 'version'])
        .execute();
    },
  },
  // IP pools: each pool's provider and its configuration (sealed: a NetBox token); for built-in
  // pools, one row per address in use (its primary key: never the same address twice) and, per
  // prefix, the cursor allocations start from and how many addresses are in use.
  '0006_ip_pools': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('ip_pools')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('ipam_allocations')
        .addColumn('pool', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('ord', 'text', (c) => c.notNull())
        .addColumn('family', 'integer', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('ipam_allocations_pk', ['pool', 'address'])
        .execute();
      await db.schema.createIndex('ipam_allocations_ord').on('ipam_allocations').columns(['pool', 'prefix', 'ord']).unique().execute();
      await db.schema.createIndex('ipam_allocations_owner').on('ipam_allocations').columns(['owner', 'pool']).execute();
      await db.schema
        .createTable('ipam_prefixes')
        .addColumn('pool', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('next', 'text', (c) => c.notNull())
        .addColumn('used', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('ipam_prefixes_pk', ['pool', 'prefix'])
        .execute();
    },
  },
  // Domains: each configured once with a DNS provider (its configuration sealed: TSIG secrets,
  // API keys and tokens); and, per installation on a domain, the records Freehold keeps there
  // (what drift is checked against). Keyed by installation name, like backup targets.
  '0007_domains': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('domains')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('zone', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('ttl', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('domain_records')
        .addColumn('domain', 'text', (c) => c.notNull())
        .addColumn('installation', 'text', (c) => c.notNull())
        .addColumn('records', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('domain_records_pk', ['domain', 'installation'])
        .execute();
    },
  },
  // Certificates from an ACME CA (services/certificates.ts): one account per CA directory (its
  // key sealed, its URL once registered; the current one issues), and each certificate with its
  // chain (public) and its key (sealed), validity, and the last renewal failure.
  '0008_certificates': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('acme_accounts')
        .addColumn('directory_url', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text')
        .addColumn('ca_bundle', 'text')
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('is_current', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('certificates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('domains', 'text', (c) => c.notNull())
        .addColumn('challenge', 'text', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('directory_url', 'text', (c) => c.notNull())
        .addColumn('certificate', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('serial', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('not_before', 'text', (c) => c.notNull())
        .addColumn('not_after', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('certificates_owner').on('certificates').column('owner').execute();
    },
  },
  // How the certificates of installations on a domain are validated: http-01 (through the edge
  // on port 80) or dns-01 (a TXT record through the domain's provider; hosts behind a NAT).
  '0009_domain_challenge': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('domains').addColumn('challenge', 'text', (c) => c.notNull().defaultTo('http-01')).execute();
    },
  },
};
