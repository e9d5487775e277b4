/** MariaDB (the "mysql" addon): the generic SQL server driver with MariaDB's data. */
import { fileURLToPath } from 'node:url';
import { registerAddon } from './index.js';
import { sqlServerDriver, type SqlEngine } from './sql-server.js';

/** Ends the user's open sessions, which would block dropping its database */
const killSessions = (n: string) => `
DELIMITER //
BEGIN NOT ATOMIC
  DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END; -- a session that ended meanwhile
  FOR c IN (SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '${n}') DO
    EXECUTE IMMEDIATE CONCAT('KILL CONNECTION ', c.ID);
  END FOR;
END //
DELIMITER ;`;

// Names and passwords reach these functions checked (fh_[a-z0-9_]+, base64url): safe to splice.
export const mariadbEngine: SqlEngine = {
  kind: 'mysql',
  image: { name: 'mariadb', version: '10.11', context: fileURLToPath(new URL('./images/mariadb/', import.meta.url)) },
  container: 'freehold-mariadb',
  volume: 'freehold-mariadb-data',
  alias: 'mysql',
  port: 3306,
  scheme: 'mysql',
  ready: { argv: ['mariadb-admin', 'ping', '--silent'] },
  // root@localhost over the socket (unix_socket auth); batch mode stops at the first error.
  admin: { argv: ['mariadb', '--batch', '--skip-column-names'] },
  sql: {
    // "_" is a wildcard in a GRANT's database name: escaped, or fh_a_b would also cover fh_aab.
    upsert: (n, pw) => `
CREATE DATABASE IF NOT EXISTS \`${n}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '${n}'@'%';
ALTER USER '${n}'@'%' IDENTIFIED BY '${pw}';
GRANT ALL PRIVILEGES ON \`${n.replace(/_/g, '\\_')}\`.* TO '${n}'@'%';
`,
    listExisting: () =>
      `SELECT s.SCHEMA_NAME FROM information_schema.SCHEMATA s JOIN mysql.user u ON u.User = s.SCHEMA_NAME AND u.Host = '%' WHERE s.SCHEMA_NAME LIKE 'fh\\_%';`,
    // User first (no new sessions), then its open sessions (they would block the drop), then the data.
    drop: (n) => `
DROP USER IF EXISTS '${n}'@'%';
${killSessions(n)}
DROP DATABASE IF EXISTS \`${n}\`;
`,
    // The GRANT names the database, not its tables: it outlives the drop and covers the new one.
    reset: (n) => `
${killSessions(n)}
DROP DATABASE IF EXISTS \`${n}\`;
CREATE DATABASE \`${n}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
`,
  },
  // No --databases: without CREATE DATABASE / USE the dump loads into a database of any name.
  // --hex-blob keeps binary columns intact in a text dump.
  dump: {
    file: 'mysql.sql',
    argv: (n) => ['mariadb-dump', '--single-transaction', '--routines', '--triggers', '--hex-blob', '--default-character-set=utf8mb4', n],
  },
  load: {
    // The dump's last line; at the start of a line only there, as dumped rows never span lines.
    verify: ['grep', '-q', '^-- Dump completed'],
    argv: (n) => ['mariadb', n],
    // Triggers, routines and views run as their DEFINER: in the installation loaded into, that
    // is its own user (the dump's may be another installation's, or gone). Row data is left alone.
    rewrite: (n) => (line) => (line.startsWith('INSERT INTO ') ? line : line.replace(/DEFINER=`[^`]*`@`[^`]*`/g, `DEFINER=\`${n}\`@\`%\``)),
  },
};

registerAddon(
  sqlServerDriver(mariadbEngine, {
    DATABASE_URL: 'url',
    MYSQL_HOST: 'host',
    MYSQL_PORT: 'port',
    MYSQL_DATABASE: 'database',
    MYSQL_USER: 'username',
    MYSQL_PASSWORD: 'password',
  }),
);
