/** PostgreSQL addon: the generic SQL server driver with PostgreSQL's data. */
import { fileURLToPath } from 'node:url';
import { registerAddon } from './index.js';
import { sqlServerDriver, type SqlEngine } from './sql-server.js';

// Names and passwords reach these functions checked (fh_[a-z0-9_]+, base64url): safe to splice.
export const postgresEngine: SqlEngine = {
  kind: 'postgres',
  image: { name: 'postgres', version: '15', context: fileURLToPath(new URL('./images/postgres/', import.meta.url)) },
  container: 'freehold-postgres',
  volume: 'freehold-postgres-data',
  alias: 'postgres',
  port: 5432,
  scheme: 'postgres',
  ready: { argv: ['pg_isready', '-q', '-U', 'postgres'] },
  // Peer auth over the socket as the postgres OS user; \gexec needs psql reading a script.
  admin: { argv: ['psql', '-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres'], user: 'postgres' },
  sql: {
    upsert: (n, pw) => `
SELECT 'CREATE ROLE ${n}' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${n}')\\gexec
ALTER ROLE ${n} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '${pw}';
SELECT 'CREATE DATABASE ${n} OWNER ${n}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${n}')\\gexec
ALTER DATABASE ${n} OWNER TO ${n};
-- Every role may connect to a new database by default: only the owner may here.
REVOKE ALL ON DATABASE ${n} FROM PUBLIC;
`,
    listExisting: () => `SELECT d.datname FROM pg_database d JOIN pg_roles r ON r.rolname = d.datname WHERE d.datname LIKE 'fh\\_%';`,
    // FORCE ends the installation's open sessions, which would otherwise block the drop.
    drop: (n) => `DROP DATABASE IF EXISTS ${n} WITH (FORCE);\nDROP ROLE IF EXISTS ${n};\n`,
    reset: (n) => `DROP DATABASE IF EXISTS ${n} WITH (FORCE);\nCREATE DATABASE ${n} OWNER ${n};\nREVOKE ALL ON DATABASE ${n} FROM PUBLIC;\n`,
  },
  // Uncompressed: restic compresses, and finds the unchanged parts of an uncompressed dump again.
  // Without owners and grants, so it loads into a database of any name (a clone).
  dump: { file: 'postgres.dump', argv: (n) => ['pg_dump', '--format=custom', '--compress=0', '--no-owner', '--no-acl', '-d', n] },
  load: {
    verify: ['pg_restore', '--file=/dev/null'],
    // As the superuser (restore is not given the app's password), but every object is created
    // after SET ROLE to the installation's user (--role), so the app owns it and can still write.
    // One transaction: a load that fails half way leaves the database empty, not half filled.
    argv: (n) => ['pg_restore', '--exit-on-error', '--single-transaction', '--no-owner', '--no-acl', `--role=${n}`, '-d', n],
  },
};

registerAddon(
  sqlServerDriver(postgresEngine, {
    DATABASE_URL: 'url',
    PGHOST: 'host',
    PGPORT: 'port',
    PGDATABASE: 'database',
    PGUSER: 'username',
    PGPASSWORD: 'password',
  }),
);
