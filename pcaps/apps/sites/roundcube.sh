# roundcube.sh - Roundcube webmail (Debian's package in place, a private configuration via
# ROUNDCUBE_CONFIG_DIR, SQLite) on nginx + php-fpm, with a private Dovecot IMAP server on the same
# address (port 143, not captured: the capture is HTTP). Users read, search, flag and move mail,
# save drafts (IMAP APPEND), and the open mailbox polls for new mail (refresh, X-Roundcube-Request).
site_name=roundcube
site_port=80
site_ports="80"
site_packages="nginx php-fpm php-sqlite3 php-intl php-mbstring php-xml roundcube roundcube-core roundcube-sqlite3 dovecot-imapd python3"
site_roles="10:monitor"
roundcube_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/roundcube

site_start() {
    local work=$1 addr=$2
    source "$TSAPPS_LIB/php-sites.sh"
    mkdir -p "$work/rcconf" "$work/rctemp" "$work/rclogs" "$work/dovecot/run" "$work/mail"
    # ---- Dovecot: plain IMAP on ADDR:143, users from a passwd-file, Maildirs in the work dir
    : > "$work/dovecot/users"
    local u
    for u in alice bob carol dave erin frank grace heidi; do
        printf '%s:{PLAIN}pw-%s-2024::::::\n' "$u" "$u" >> "$work/dovecot/users"
    done
    cat > "$work/dovecot/dovecot.conf" <<CONF
protocols = imap
listen = $addr
base_dir = $work/dovecot/run
state_dir = $work/dovecot/state
log_path = $work/dovecot/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$work/mail/%u
mail_uid = www-data
mail_gid = www-data
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $work/dovecot/users
}
userdb {
  driver = static
  args = uid=www-data gid=www-data home=$work/mail/%u
}
namespace inbox {
  inbox = yes
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
  mailbox Archive {
    special_use = \Archive
    auto = subscribe
  }
}
service imap-login {
  inet_listener imap {
    address = $addr
    port = 143
  }
}
CONF
    mkdir -p "$work/dovecot/state"
    python3 "$roundcube_here/mailboxes.py" "$work/mail"
    chown -R www-data:www-data "$work/mail"
    dovecot -F -c "$work/dovecot/dovecot.conf" > "$work/dovecot/stdout.log" 2>&1 &
    echo $! >> "$work/pids"
    # ---- Roundcube
    cp /etc/roundcube/defaults.inc.php "$work/rcconf/"
    [ -f /etc/roundcube/mimetypes.php ] && cp /etc/roundcube/mimetypes.php "$work/rcconf/"
    cat > "$work/rcconf/config.inc.php" <<PHP
<?php
\$config = [];
\$config['db_dsnw'] = 'sqlite:///$work/roundcube.db?mode=0646';
\$config['imap_host'] = '$addr:143';
\$config['smtp_host'] = '';
\$config['support_url'] = '';
\$config['product_name'] = 'Team Mail';
\$config['des_key'] = '$(head -c 18 /dev/urandom | base64)';
\$config['plugins'] = [];
\$config['skin'] = 'elastic';
\$config['temp_dir'] = '$work/rctemp/';
\$config['log_dir'] = '$work/rclogs/';
\$config['enable_installer'] = false;
\$config['refresh_interval'] = 60;
\$config['draft_autosave'] = 60;
\$config['enable_spellcheck'] = false;
PHP
    php -r '$db = new PDO("sqlite:" . $argv[1]); $db->exec(file_get_contents($argv[2]));' "$work/roundcube.db" /usr/share/roundcube/SQL/sqlite.initial.sql
    chown -R www-data:www-data "$work/rcconf" "$work/rctemp" "$work/rclogs" "$work/roundcube.db"
    chmod 775 "$work"; chgrp www-data "$work"   # SQLite writes its journal next to the database
    printf '        location / { try_files $uri $uri/ /index.php; }\n' > "$work/server.conf"
    FPM_EXTRA="env[ROUNDCUBE_CONFIG_DIR] = $work/rcconf" fpm_nginx_start "$work" "$addr" 80 /var/lib/roundcube/public_html "$work/server.conf"
    wait_http "http://$addr/"
}

site_drive() {
    local work=$1 addr=$2 seed=$3 seconds=$4 cb=$5
    source "$TSAPPS_LIB/php-sites.sh"
    client_py "$TSAPPS_LIB/monitor.py" "$addr" 80 "$cb.10" "$seed" "$seconds" / "/?_task=login" /skins/elastic/images/favicon.ico
}

site_browse() { echo "$roundcube_here/browse.mjs"; }
