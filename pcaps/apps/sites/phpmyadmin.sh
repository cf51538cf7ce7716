# phpmyadmin.sh - phpMyAdmin (Debian's package, a private copy) on Apache httpd + mod_php, cookie
# login to the lab's private MariaDB: DBAs browse tables, run SQL, search and export; a monitor.
site_name=phpmyadmin
site_port=80
site_ports="80"
site_packages="apache2 libapache2-mod-php php-mysql php-mbstring php-xml php-zip php-gd mariadb-server phpmyadmin python3"
site_roles="10:monitor"
phpmyadmin_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/phpmyadmin

site_start() {
    local work=$1 addr=$2
    source "$TSAPPS_LIB/php-sites.sh"
    local pma=$work/pma
    cp -rL /usr/share/phpmyadmin "$pma"
    mkdir -p "$work/pmatmp"
    sed -i "s|'/var/lib/phpmyadmin/tmp/'|'$work/pmatmp/'|; s|'/etc/phpmyadmin/config.inc.php'|'$work/config.inc.php'|" "$pma/libraries/vendor_config.php"
    cat > "$work/config.inc.php" <<PHP
<?php
\$cfg['blowfish_secret'] = '$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)';
\$cfg['Servers'][1]['auth_type'] = 'cookie';
\$cfg['Servers'][1]['host'] = 'localhost';
\$cfg['Servers'][1]['connect_type'] = 'socket';
\$cfg['Servers'][1]['socket'] = '$TSAPPS_MYSQL_SOCK';
\$cfg['Servers'][1]['AllowNoPassword'] = false;
\$cfg['TempDir'] = '$work/pmatmp';
\$cfg['VersionCheck'] = false;
\$cfg['SendErrorReports'] = 'never';
PHP
    mariadb -S "$TSAPPS_MYSQL_SOCK" -uroot < "$phpmyadmin_here/shop.sql"
    local u
    for u in alice bob carol dave erin frank grace heidi; do
        mariadb -S "$TSAPPS_MYSQL_SOCK" -uroot -e "CREATE USER IF NOT EXISTS '$u'@'localhost' IDENTIFIED BY 'pw-$u-2024'; GRANT ALL ON shop.* TO '$u'@'localhost'; GRANT ALL ON inventory.* TO '$u'@'localhost'; GRANT SELECT ON wordpress.* TO '$u'@'localhost'; GRANT PROCESS ON *.* TO '$u'@'localhost';"
    done
    chown -R www-data:www-data "$pma" "$work/pmatmp" "$work/config.inc.php"
    cat > "$work/site.conf" <<CONF
DocumentRoot $pma
<Directory $pma>
    Options FollowSymLinks
    Require all granted
</Directory>
<Directory $pma/libraries>
    Require all denied
</Directory>
CONF
    apache_start "$work" "$addr" 80 "$work/site.conf"
    wait_http "http://$addr/index.php"
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5
    source "$TSAPPS_LIB/php-sites.sh"
    client_py "$TSAPPS_LIB/monitor.py" "$addr" 80 "$cb.10" "$seed" "$seconds" /index.php /robots.txt /favicon.ico /js/dist/index.js
}

site_browse() { echo "$phpmyadmin_here/browse.mjs"; }
