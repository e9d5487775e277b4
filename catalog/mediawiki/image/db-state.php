<?php
/**
 * Says whether MediaWiki is installed in the installation's database (its tables exist and the
 * administrator account was created), waiting for the database to accept connections first.
 * Exit 0: installed; 1: not (or not completely: the installer is safe to run again, it keeps
 * existing tables); 2: database unreachable.
 */
$host = getenv( 'PGHOST' ) ?: 'postgres';
$port = getenv( 'PGPORT' ) ?: '5432';
$dsn = sprintf( 'pgsql:host=%s;port=%s;dbname=%s', $host, $port, getenv( 'PGDATABASE' ) );
$deadline = time() + (int)( getenv( 'MW_DB_WAIT_SECONDS' ) ?: 120 );
for ( ;; ) {
	try {
		$db = new PDO( $dsn, getenv( 'PGUSER' ), getenv( 'PGPASSWORD' ), [ PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION ] );
		break;
	} catch ( PDOException $e ) {
		if ( time() >= $deadline ) {
			fwrite( STDERR, "database $host:$port unreachable: {$e->getMessage()}\n" );
			exit( 2 );
		}
		fwrite( STDERR, "waiting for database $host:$port\n" );
		sleep( 2 );
	}
}
$tables = $db->query( "SELECT to_regclass('mediawiki.user') IS NOT NULL" )->fetchColumn();
$installed = $tables && $db->query( 'SELECT EXISTS (SELECT 1 FROM mediawiki."user")' )->fetchColumn();
exit( $installed ? 0 : 1 );
