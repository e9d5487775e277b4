<?php
/*
 * Router for PHP's built-in web server: existing files are served as they are (PHP files are run),
 * everything else goes to WordPress's front controller (pretty permalinks, /wp-json/...).
 */
$root = $_SERVER['DOCUMENT_ROOT'];
$path = rawurldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?: '/');

if (str_contains($path, "\0") || preg_match('#(^|/)\.\.(/|$)#', $path)) {
    http_response_code(400);
    return true;
}
// Nothing in uploads is ever run as PHP.
if (preg_match('#^/wp-content/uploads/.*\.(php[0-9]?|phtml|phar)$#i', $path)) {
    http_response_code(403);
    return true;
}

$file = $root . $path;
if (is_file($file)) {
    return false;
}
if (is_dir($file)) {
    if (!str_ends_with($path, '/')) {
        $query = $_SERVER['QUERY_STRING'] ?? '';
        header('Location: ' . $path . '/' . ($query !== '' ? '?' . $query : ''), true, 301);
        return true;
    }
    if (is_file($file . 'index.php') || is_file($file . 'index.html')) {
        return false;
    }
}

$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
chdir($root);
require $root . '/index.php';
