<?php
/*
 * Shared by the command-line scripts: a request-like $_SERVER for the public URL, which Debian's
 * wp-config.php and WordPress expect, then the configuration.
 */
$freehold_public = parse_url(getenv('WORDPRESS_URL') ?: 'http://localhost:8080');
$_SERVER['HTTP_HOST'] = ($freehold_public['host'] ?? 'localhost') . (isset($freehold_public['port']) ? ':' . $freehold_public['port'] : '');
$_SERVER['SERVER_NAME'] = $freehold_public['host'] ?? 'localhost';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
if (($freehold_public['scheme'] ?? '') === 'https') {
    $_SERVER['HTTPS'] = 'on';
}
require_once '/etc/wordpress/config-default.php';
