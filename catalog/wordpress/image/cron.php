<?php
// Runs WordPress's due scheduled tasks once (called every minute by the start script).
require __DIR__ . '/cli.php';
require '/usr/share/wordpress/wp-cron.php';
