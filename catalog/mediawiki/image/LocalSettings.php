<?php
/**
 * MediaWiki settings for Freehold. Nothing here is specific to one installation: every value
 * that is comes from the environment the manifest renders (see ../manifest.yaml).
 */
if ( !defined( 'MEDIAWIKI' ) ) {
	exit;
}

$freeholdEnv = static function ( string $name, ?string $default = null ): string {
	$value = getenv( $name );
	if ( $value === false || $value === '' ) {
		if ( $default === null ) {
			throw new RuntimeException( "MediaWiki: environment variable $name is not set" );
		}
		return $default;
	}
	return $value;
};
$freeholdFlag = static function ( string $name, bool $default ) use ( $freeholdEnv ): bool {
	return in_array( strtolower( $freeholdEnv( $name, $default ? 'true' : 'false' ) ), [ 'true', '1', 'yes', 'on' ], true );
};

## Site
$wgSitename = $freeholdEnv( 'MW_SITENAME', 'Wiki' );
# Fixed, so that renaming the site never moves the project namespace's pages
$wgMetaNamespace = 'Project';
$wgLanguageCode = $freeholdEnv( 'MW_LANGUAGE', 'en' );
$wgLocaltimezone = 'UTC';

## URLs: the public URL (https behind the edge proxy); links are generated from it
$wgServer = rtrim( $freeholdEnv( 'MW_SERVER' ), '/' );
$wgCanonicalServer = $wgServer;
$wgScriptPath = '';
$wgArticlePath = '/wiki/$1';
$wgUsePathInfo = true;
$wgResourceBasePath = $wgScriptPath;
$wgLogos = [ '1x' => "$wgResourceBasePath/resources/assets/mediawiki.png" ];
$wgFavicon = false;

## The edge proxy: requests reach the container from a private address (Freehold's proxy, through
## the installation's network); trust its X-Forwarded-For so blocks, rate limits and page
## histories see the visitor's address, not the proxy's
$wgCdnServersNoPurge = [ '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', 'fc00::/7', '::1' ];

## Database: the installation's own PostgreSQL database (Freehold's postgres addon)
$wgDBtype = 'postgres';
$wgDBserver = $freeholdEnv( 'PGHOST' );
$wgDBport = (int)$freeholdEnv( 'PGPORT', '5432' );
$wgDBname = $freeholdEnv( 'PGDATABASE' );
$wgDBuser = $freeholdEnv( 'PGUSER' );
$wgDBpassword = $freeholdEnv( 'PGPASSWORD' );
$wgDBmwschema = 'mediawiki';
$wgDBprefix = '';
$wgDBTableOptions = '';

## Caches: per-container APCu for hot objects; sessions and parser output in the database, so
## they survive restarts and are part of the database backup
$wgMainCacheType = CACHE_ACCEL;
$wgMessageCacheType = CACHE_ACCEL;
$wgParserCacheType = CACHE_DB;
$wgSessionCacheType = CACHE_DB;
$wgMemCachedServers = [];
$wgCacheDirectory = '/tmp/mediawiki-cache';
$wgTmpDirectory = '/tmp';
$wgUseFileCache = false;

## Secrets
$wgSecretKey = $freeholdEnv( 'MW_SECRET_KEY' );
$wgUpgradeKey = substr( hash( 'sha256', 'upgrade:' . $wgSecretKey ), 0, 16 );
$wgAuthenticationTokenVersion = '1';

## Uploads: stored in /data (backed up by Freehold); thumbnails made with GD
$wgEnableUploads = true;
$wgUploadDirectory = '/data/images';
$wgUploadPath = "$wgScriptPath/images";
$wgUseImageMagick = false;
$wgFileExtensions = [ 'png', 'gif', 'jpg', 'jpeg', 'webp', 'pdf' ];
$wgMaxUploadSize = 20 * 1024 * 1024;

## Mail: not wired yet (Freehold's smtp addon is declared for later)
$wgEnableEmail = false;
$wgEnableUserEmail = false;
$wgEnotifUserTalk = false;
$wgEnotifWatchlist = false;
$wgEmailAuthentication = false;

## Who may do what (options in the install form)
$wgGroupPermissions['*']['edit'] = $freeholdFlag( 'MW_ANONYMOUS_EDITING', false );
$wgGroupPermissions['*']['createpage'] = $wgGroupPermissions['*']['edit'];
$wgGroupPermissions['*']['createaccount'] = $freeholdFlag( 'MW_ACCOUNT_CREATION', true );

## Look and features
$wgDefaultSkin = 'vector';
wfLoadSkin( 'Vector' );
wfLoadSkin( 'MonoBook' );
wfLoadSkin( 'Timeless' );
wfLoadExtension( 'ParserFunctions' );
wfLoadExtension( 'Cite' );
wfLoadExtension( 'CategoryTree' );
wfLoadExtension( 'InputBox' );
wfLoadExtension( 'Poem' );
wfLoadExtension( 'WikiEditor' );
$wgUseInstantCommons = false;
$wgPingback = false;
$wgDiff3 = '';
$wgShellLocale = 'C.UTF-8';
$wgRightsPage = '';
$wgRightsUrl = '';
$wgRightsText = '';
$wgShowExceptionDetails = $freeholdFlag( 'MW_DEBUG', false );
