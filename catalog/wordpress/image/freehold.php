<?php
/*
 * Plugin Name: Freehold integration
 * Description: Adapts WordPress to Freehold's container (PHP built-in server, read-only packaged themes and plugins).
 */

// The router sends every unknown path to index.php, like mod_rewrite: permalinks need no "index.php/".
add_filter('got_url_rewrite', '__return_true');

// Themes and plugins that come with the image are links into it (read-only): they are updated with
// the image, so WordPress must not offer to update them in place.
$freehold_hide_bundled = static function ($transient, string $kind) {
    if (!is_object($transient) || empty($transient->response)) {
        return $transient;
    }
    $dir = $kind === 'themes' ? get_theme_root() : WP_PLUGIN_DIR;
    foreach (array_keys($transient->response) as $item) {
        if (is_link($dir . '/' . strtok($item, '/'))) {
            unset($transient->response[$item]);
        }
    }
    return $transient;
};
add_filter('site_transient_update_themes', static fn($t) => $freehold_hide_bundled($t, 'themes'));
add_filter('site_transient_update_plugins', static fn($t) => $freehold_hide_bundled($t, 'plugins'));

// External services turned off (WORDPRESS_EXTERNAL_SERVICES=false): pages make visitors' browsers
// contact no third party either (WP_HTTP_BLOCK_EXTERNAL already stops the server's own requests).
if (defined('FREEHOLD_EXTERNAL_SERVICES') && !FREEHOLD_EXTERNAL_SERVICES) {
    remove_action('wp_head', 'print_emoji_detection_script', 7);
    remove_action('admin_print_scripts', 'print_emoji_detection_script');
    remove_action('wp_print_styles', 'print_emoji_styles');
    remove_action('admin_print_styles', 'print_emoji_styles');
    remove_filter('the_content_feed', 'wp_staticize_emoji');
    remove_filter('comment_text_rss', 'wp_staticize_emoji');
    remove_filter('wp_mail', 'wp_staticize_emoji_for_email');
    add_filter('emoji_svg_url', '__return_false');
    add_filter('pre_option_show_avatars', '__return_zero');
    add_filter('wp_resource_hints', static fn(array $urls, string $type) => $type === 'dns-prefetch' ? [] : $urls, 10, 2);
}
