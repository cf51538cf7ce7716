# wordpress.sh - WordPress (Debian's package, a private copy) on Apache httpd + mod_php with
# MariaDB: browser users (block editor, media, comments, admin with heartbeat), an
# application-password REST client, an XML-RPC blogging client (base64 media upload), a mobile-app
# style JSON client with CORS preflights, a system cron hitting wp-cron.php, and a monitor.
site_name=wordpress
site_port=80
site_ports="80"
site_packages="apache2 libapache2-mod-php php-mysql php-xml php-mbstring php-gd php-curl php-intl mariadb-server wordpress python3"
site_roles="10:rest 11:xmlrpc 12:cron 13:mobile 14:monitor"
wordpress_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/wordpress

site_start() {
    local work=$1 addr=$2
    source "$TSAPPS_LIB/php-sites.sh"
    local wp=$work/wp
    cp -rL /usr/share/wordpress "$wp"
    rm -rf "$wp/wp-content"
    cp -rL /var/lib/wordpress/wp-content "$wp/wp-content" 2> /dev/null || mkdir -p "$wp/wp-content"
    [ -d "$wp/wp-content/themes/twentytwentythree" ] || cp -rL /usr/share/wordpress/wp-content/themes "$wp/wp-content/" 2> /dev/null || true
    mkdir -p "$wp/wp-content/uploads" "$wp/wp-content/upgrade"
    mysql_db wordpress wp 'wp-db-pw-4471'
    cat > "$wp/wp-config.php" <<PHP
<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'wp');
define('DB_PASSWORD', 'wp-db-pw-4471');
define('DB_HOST', 'localhost:$TSAPPS_MYSQL_SOCK');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('AUTH_KEY', '$(head -c 24 /dev/urandom | base64)');
define('SECURE_AUTH_KEY', '$(head -c 24 /dev/urandom | base64)');
define('LOGGED_IN_KEY', '$(head -c 24 /dev/urandom | base64)');
define('NONCE_KEY', '$(head -c 24 /dev/urandom | base64)');
define('AUTH_SALT', '$(head -c 24 /dev/urandom | base64)');
define('SECURE_AUTH_SALT', '$(head -c 24 /dev/urandom | base64)');
define('LOGGED_IN_SALT', '$(head -c 24 /dev/urandom | base64)');
define('NONCE_SALT', '$(head -c 24 /dev/urandom | base64)');
define('WP_HOME', 'http://$addr');
define('WP_SITEURL', 'http://$addr');
define('WP_ENVIRONMENT_TYPE', 'local');   // application passwords without TLS
define('DISABLE_WP_CRON', true);          // a system cron calls wp-cron.php instead (site_drive)
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('FS_METHOD', 'direct');
\$table_prefix = 'wp_';
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
PHP
    (cd "$wp" && HTTP_HOST=$addr php "$wordpress_here/setup.php" "$work") > "$work/setup.log" 2>&1 || { cat "$work/setup.log"; return 1; }
    chown -R www-data:www-data "$wp"
    cat > "$work/site.conf" <<CONF
DocumentRoot $wp
<Directory $wp>
    Options FollowSymLinks
    Require all granted
    RewriteEngine On
    RewriteBase /
    RewriteRule ^index\.php\$ - [L]
    RewriteCond %{REQUEST_FILENAME} !-f
    RewriteCond %{REQUEST_FILENAME} !-d
    RewriteRule . /index.php [L]
</Directory>
SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=\$1
CONF
    apache_start "$work" "$addr" 80 "$work/site.conf"
    wait_http "http://$addr/"
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5
    source "$TSAPPS_LIB/php-sites.sh"
    local apppw
    apppw=$(cat "$work/app-password")
    client_py "$wordpress_here/rest_client.py" "$addr" 80 "$cb.10" "$seed" "$seconds" "$apppw" &
    client_py "$wordpress_here/xmlrpc_client.py" "$addr" 80 "$cb.11" "$((seed + 1))" "$seconds" &
    client_py "$wordpress_here/cron.py" "$addr" 80 "$cb.12" "$((seed + 2))" "$seconds" &
    client_py "$wordpress_here/mobile.py" "$addr" 80 "$cb.13" "$((seed + 3))" "$seconds" "$apppw" &
    client_py "$TSAPPS_LIB/monitor.py" "$addr" 80 "$cb.14" "$((seed + 4))" "$seconds" / /wp-login.php /wp-json/ "/?feed=rss2" /wp-includes/css/dist/block-library/style.min.css &
    wait
}

site_browse() { echo "$wordpress_here/browse.mjs"; }
