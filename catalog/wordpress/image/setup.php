<?php
/*
 * Runs before the web server starts, every time: waits for the database, creates the site on the
 * first start (admin user from WORDPRESS_ADMIN_*), upgrades the database after WordPress itself
 * was updated, and applies the Freehold settings (title, tagline) when they changed.
 */
require __DIR__ . '/cli.php';

function say(string $line): void
{
    fwrite(STDERR, "wordpress-setup: $line\n");
}

// 1. Wait for the database (the mysql addon may still be starting).
mysqli_report(MYSQLI_REPORT_OFF);
$host = DB_HOST;
$port = 3306;
if (preg_match('/^(.*):(\d+)$/', $host, $m)) {
    [$host, $port] = [$m[1], (int) $m[2]];
}
$deadline = time() + (int) (getenv('WORDPRESS_DB_WAIT_SECONDS') ?: 120);
while (!($db = @mysqli_connect($host, DB_USER, DB_PASSWORD, DB_NAME, $port))) {
    if (time() >= $deadline) {
        say("database $host:$port not reachable: " . mysqli_connect_error());
        exit(1);
    }
    sleep(2);
}
mysqli_close($db);

// 2. Load WordPress without its "not installed yet" redirect.
define('WP_INSTALLING', true);
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
add_filter('pre_wp_mail', '__return_false'); // no mail server yet: skip the "new site" mail

if (!is_blog_installed()) {
    $user = getenv('WORDPRESS_ADMIN_USER') ?: 'admin';
    $password = getenv('WORDPRESS_ADMIN_PASSWORD');
    if (!$password) {
        say('WORDPRESS_ADMIN_PASSWORD is not set: cannot create the admin user');
        exit(1);
    }
    $email = getenv('WORDPRESS_ADMIN_EMAIL') ?: 'admin@' . parse_url(WP_HOME, PHP_URL_HOST);
    // wp_install() probes pretty permalinks with an HTTP request to the public URL, which the
    // container may not reach: choose them here instead.
    $permalinks = static fn() => '/%postname%/';
    add_filter('pre_option_permalink_structure', $permalinks);
    wp_install(getenv('WORDPRESS_TITLE') ?: 'WordPress', $user, $email, true, '', $password);
    remove_filter('pre_option_permalink_structure', $permalinks);
    update_option('permalink_structure', '/%postname%/');
    delete_option('rewrite_rules'); // rebuilt on the next request
    say("site created at " . WP_HOME . " with admin user \"$user\"");
} else {
    global $wp_db_version;
    if ((int) get_option('db_version') < (int) $wp_db_version) {
        wp_upgrade();
        say("database upgraded to WordPress $GLOBALS[wp_version] (db version $wp_db_version)");
    }
}

// 3. Settings owned by Freehold's form: applied when they change, so edits made in WordPress's own
//    settings stay until the Freehold setting changes again.
foreach (['blogname' => 'WORDPRESS_TITLE', 'blogdescription' => 'WORDPRESS_TAGLINE'] as $option => $env) {
    $value = getenv($env);
    if ($value === false || get_option("freehold_applied_$option") === $value) {
        continue;
    }
    update_option($option, $value);
    update_option("freehold_applied_$option", $value, false);
    say("$option set from $env");
}
