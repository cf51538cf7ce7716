# mediawiki.sh - MediaWiki (Debian's package: its code read-only in place, a private
# LocalSettings.php via MW_CONFIG_FILE, private uploads and cache) on nginx + php-fpm with MariaDB:
# editors read, search (title suggestions over rest.php), edit and compare revisions; an API bot
# logs in with a bot password and edits and uploads with CSRF tokens; a monitor.
site_name=mediawiki
site_port=80
site_ports="80"
site_packages="nginx php-fpm php-mysql php-xml php-mbstring php-intl php-gd mariadb-server mediawiki python3"
site_roles="10:api-bot 11:monitor"
mediawiki_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/mediawiki

site_start() {
    local work=$1 addr=$2
    source "$TSAPPS_LIB/php-sites.sh"
    local mw=/usr/share/mediawiki
    mkdir -p "$work/images" "$work/cache" "$work/pages"
    mysql_db mediawiki mw 'mw-db-pw-5521'
    php "$mw/maintenance/install.php" --confpath="$work" --dbtype=mysql --dbserver="localhost:$TSAPPS_MYSQL_SOCK" --dbname=mediawiki \
        --dbuser=mw --dbpass='mw-db-pw-5521' --server="http://$addr" --scriptpath="" --lang=en --pass='admin-mw-pw-8812' \
        "Lab Knowledge Base" Admin > "$work/install.log" 2>&1 || { tail -n 20 "$work/install.log"; return 1; }
    cat >> "$work/LocalSettings.php" <<PHP
# TrafficSensor apps lab: private data, uploads and a bot password.
\$wgUploadDirectory = "$work/images";
\$wgUploadPath = "/images";
\$wgEnableUploads = true;
\$wgFileExtensions = [ 'png', 'gif', 'jpg', 'jpeg', 'pdf', 'txt' ];
\$wgCacheDirectory = "$work/cache";
\$wgTmpDirectory = "$work/cache";
\$wgMainCacheType = CACHE_DB;
\$wgEnableBotPasswords = true;
\$wgRateLimits = [];
\$wgArticlePath = "/index.php/\\\$1";
\$wgUsePathInfo = true;
\$wgDefaultSkin = 'vector';
wfLoadSkin( 'Vector' );
wfLoadExtension( 'WikiEditor' );
wfLoadExtension( 'Cite' );
wfLoadExtension( 'ParserFunctions' );
PHP
    export MW_CONFIG_FILE=$work/LocalSettings.php
    local u
    for u in alice bob carol dave; do
        php "$mw/maintenance/createAndPromote.php" --force "$u" "pw-$u-2024" >> "$work/install.log" 2>&1
    done
    php "$mw/maintenance/createAndPromote.php" --bot SyncBot 'bot-user-pw-2024' >> "$work/install.log" 2>&1
    php "$mw/maintenance/createBotPassword.php" --appid importer --grants basic,editpage,createeditmovepage,uploadfile,uploadeditmovefile,highvolume \
        SyncBot 'botpassword0123456789abcdef0123' >> "$work/install.log" 2>&1 || tail -n 8 "$work/install.log"
    python3 "$mediawiki_here/pages.py" "$work/pages"
    php "$mw/maintenance/importTextFiles.php" --overwrite --summary "initial import" "$work"/pages/* >> "$work/install.log" 2>&1
    chown -R www-data:www-data "$work/images" "$work/cache"
    chmod 644 "$work/LocalSettings.php"
    cat > "$work/server.conf" <<CONF
        location /images/ { alias $work/images/; }
        location / { try_files \$uri \$uri/ @mw; }
        location @mw { rewrite ^/(.*)\$ /index.php; }
        location ~ ^/(cache|includes|maintenance|languages|serialized|tests|images/deleted)/ { deny all; }
CONF
    FPM_EXTRA="env[MW_CONFIG_FILE] = $work/LocalSettings.php" fpm_nginx_start "$work" "$addr" 80 "$mw" "$work/server.conf"
    wait_http "http://$addr/index.php/Main_Page"
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5
    source "$TSAPPS_LIB/php-sites.sh"
    client_py "$mediawiki_here/api_bot.py" "$addr" 80 "$cb.10" "$seed" "$seconds" &
    client_py "$TSAPPS_LIB/monitor.py" "$addr" 80 "$cb.11" "$((seed + 1))" "$seconds" /index.php/Main_Page "/api.php?action=query&meta=siteinfo&format=json" "/load.php?modules=startup&only=scripts&raw=1" &
    wait
}

site_browse() { echo "$mediawiki_here/browse.mjs"; }
