#!/usr/bin/env bash
# run.sh - the benign application lab: real web applications used by headless Chromium users and
# machine clients, captured on the wire and labelled with the application and the client role.
#
# Usage (as root):
#   pcaps/apps/run.sh [--minutes N] [--sites all|LIST] [--seed S] [--out DIR] [--name NAME]
#                     [--browsers N] [--keep-going]
#
#   --minutes   capture time (default 2; fractions allowed, e.g. 0.5)
#   --sites     comma-separated site names from pcaps/apps/sites/*.sh (default all)
#   --seed      makes the users' and clients' choices reproducible (default 1)
#   --out/--name  writes DIR/NAME.pcap, DIR/NAME.labels.jsonl and DIR/NAME.mix.txt
#               (default pcaps/apps/out, apps-SEED)
#   --browsers  Chromium users (default 6), each with its own source address 127.0.200.(10+i)
#   --keep-going  a site that fails to start is skipped instead of failing the run
#
# Addresses (pcaps/apps/CONTRACT.md): site k (1-based, all site files sorted by name) serves on
# 127.0.(40+k).1 inside one network namespace (loopback MTU 1500, offloads off); its machine
# clients use 127.0.(40+k).(10+i); browser user i uses 127.0.200.(10+i). Chromium and other clients
# that cannot pick a source address get it from an LD_PRELOAD shim (lib/bindaddr.c, built per run)
# that binds each TCP socket to $TSAPPS_BIND_ADDR before connect().
# A site file may set site_roles="10:api 11:cron ..." (client address suffix : role) for the labels'
# phase; browsers are "browser", unlisted machine clients "machine".
# Sites whose site_packages name mariadb-server share one private MariaDB (unix socket only,
# $TSAPPS_MYSQL_SOCK, root without password) started by this runner.
# Every process is stopped by PID (drivers by process group), the namespace deleted and the work
# directory removed on exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

minutes=2 sites=all seed=1 out="$here/out" name="" browsers=6 keep_going=0
while (($#)); do
    case "$1" in
        --minutes) minutes=$2; shift 2 ;;
        --sites) sites=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --name) name=$2; shift 2 ;;
        --browsers) browsers=$2; shift 2 ;;
        --keep-going) keep_going=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; exit 1 ;;
    esac
done
name=${name:-apps-$seed}
[ "$(id -u)" = 0 ] || { echo "run.sh: must run as root (network namespace, tcpdump, packages)" >&2; exit 1; }
log() { printf '[apps %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
seconds=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')
((seconds > 0)) || { echo "run.sh: --minutes must be positive" >&2; exit 1; }

# ------------------------------------------------------------------ sites and their numbers
mapfile -t all_sites < <(cd "$here/sites" && ls ./*.sh | sed 's|^\./||; s|\.sh$||' | LC_ALL=C sort)
declare -A site_k=()
for i in "${!all_sites[@]}"; do site_k[${all_sites[i]}]=$((i + 1)); done
if [ "$sites" = all ]; then selected=("${all_sites[@]}"); else IFS=, read -r -a selected <<< "$sites"; fi
for s in "${selected[@]}"; do [ -n "${site_k[$s]:-}" ] || { echo "run.sh: no site $s (have: ${all_sites[*]})" >&2; exit 1; }; done
site_var() { (set +u; source "$here/sites/$1.sh"; eval "printf '%s' \"\${$2:-}\""); }

# ------------------------------------------------------------------ packages
pkgs=(chromium tcpdump tshark iproute2 ethtool curl gcc)
command -v node > /dev/null && command -v npm > /dev/null || { echo "run.sh: needs node and npm (the Chromium driver)" >&2; exit 1; }
for s in "${selected[@]}"; do read -r -a p <<< "$(site_var "$s" site_packages)"; pkgs+=("${p[@]}"); done
missing=()
for p in $(printf '%s\n' "${pkgs[@]}" | sort -u); do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    created=0
    # keep apt from starting the packages' own services, and the web apps' installers from configuring databases
    [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; created=1; }
    printf '%s\n' 'phpmyadmin phpmyadmin/dbconfig-install boolean false' 'phpmyadmin phpmyadmin/reconfigure-webserver multiselect' \
        'roundcube-core roundcube/dbconfig-install boolean false' 'roundcube-core roundcube/reconfigure-webserver multiselect' | debconf-set-selections
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >&2 \
        || { ((created)) && rm -f /usr/sbin/policy-rc.d; exit 1; }
    ((created)) && rm -f /usr/sbin/policy-rc.d
fi
if ! cmp -s "$here/driver/package-lock.json" "$here/driver/node_modules/.tsapps-lock.json" 2>/dev/null; then
    log "npm ci (driver)"
    (cd "$here/driver" && npm ci --no-audit --no-fund --silent >&2 && cp package-lock.json node_modules/.tsapps-lock.json)
fi

# ------------------------------------------------------------------ work dir and cleanup
work=$(mktemp -d -t tsapps.XXXXXX)
chmod 755 "$work"
ns="tsapps$$"
pids=()      # servers, stopped in reverse order
groups=()    # drivers (process groups: their clients die with them)
# alive PID: running and not a zombie (orphans here may be reaped late)
alive() { [ -r "/proc/$1/stat" ] && ! awk '{ exit ($3 == "Z") ? 0 : 1 }' "/proc/$1/stat" 2>/dev/null; }
cleanup() {
    local rc=$?
    set +e
    for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
    sleep 0.5
    for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; wait "$g" 2>/dev/null; done
    for f in "$work"/sites/*/pids; do [ -f "$f" ] && while read -r p; do [ -n "$p" ] && pids+=("$p"); done < "$f"; done
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${pids[i]}" 2>/dev/null
        for _ in $(seq 50); do alive "${pids[i]}" || break; sleep 0.1; done
        kill -KILL "${pids[i]}" 2>/dev/null
        wait "${pids[i]}" 2>/dev/null
    done
    # anything still running from the work directory (a server's stray child): by PID, ours only
    for p in $(grep -lsF "$work" /proc/[0-9]*/cmdline | cut -d/ -f3); do
        [ "$p" != $$ ] && alive "$p" && kill -KILL "$p" 2>/dev/null
    done
    ip netns del "$ns" 2>/dev/null
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns"
in_ns=(ip netns exec "$ns")   # an array, not a function: "${in_ns[@]}" cmd & makes $! the command itself
"${in_ns[@]}" ip link set lo up mtu 1500
"${in_ns[@]}" ethtool -K lo tso off gso off gro off > /dev/null 2>&1 || true
"${in_ns[@]}" sysctl -q -w net.ipv4.ip_unprivileged_port_start=0

gcc -shared -fPIC -O2 -o "$work/bindaddr.so" "$here/lib/bindaddr.c" -ldl
chmod 755 "$work/bindaddr.so"
[ -n "${TSAPPS_KEEP_LOGS:-}" ] && mkdir -p "$TSAPPS_KEEP_LOGS"
export TSAPPS_LIB="$here/lib" TSAPPS_BIND_SO="$work/bindaddr.so" TSAPPS_NS="$ns" TSAPPS_MYSQL_SOCK=""

# ------------------------------------------------------------------ one private MariaDB (unix socket only)
needs_db=0
for s in "${selected[@]}"; do [[ " $(site_var "$s" site_packages) " == *" mariadb-server "* ]] && needs_db=1; done
if ((needs_db)); then
    db=$work/mariadb
    mkdir -p "$db/data" "$db/run"
    chown -R mysql:mysql "$db"
    mariadb-install-db --user=mysql --datadir="$db/data" --skip-test-db --auth-root-authentication-method=normal > "$work/mariadb-install.log" 2>&1
    "${in_ns[@]}" setpriv --reuid mysql --regid mysql --init-groups mariadbd --no-defaults --datadir="$db/data" --socket="$db/run/mysqld.sock" \
        --skip-networking --pid-file="$db/run/mysqld.pid" --log-error="$work/mariadb.log" --innodb-buffer-pool-size=64M > "$work/mariadb.out" 2>&1 & pids+=($!)
    for _ in $(seq 120); do [ -S "$db/run/mysqld.sock" ] && mariadb -S "$db/run/mysqld.sock" -uroot -e 'select 1' > /dev/null 2>&1 && break; sleep 0.5; done
    mariadb -S "$db/run/mysqld.sock" -uroot -e 'select 1' > /dev/null || { tail -n 20 "$work/mariadb.log" >&2; echo "run.sh: MariaDB did not start" >&2; exit 1; }
    chmod 755 "$db" "$db/run"
    export TSAPPS_MYSQL_SOCK="$db/run/mysqld.sock"
fi

# ------------------------------------------------------------------ start the sites
declare -A site_addr=()
started=()
for s in "${selected[@]}"; do
    k=${site_k[$s]}
    addr="127.0.$((40 + k)).1"
    sw=$work/sites/$s
    mkdir -p "$sw"
    : > "$sw/pids"
    log "starting $s on $addr"
    # a session of its own: Apache stops by signalling its whole process group
    if setsid --wait "${in_ns[@]}" bash -c 'set -euxo pipefail; source "$1"; site_start "$2" "$3"' _ "$here/sites/$s.sh" "$sw" "$addr" > "$sw/start.log" 2>&1; then
        site_addr[$s]=$addr; started+=("$s")
    else
        tail -n 25 "$sw/start.log" >&2
        ((keep_going)) || { echo "run.sh: site $s did not start (log above)" >&2; exit 1; }
        log "skipping $s"
    fi
done
((${#started[@]})) || { echo "run.sh: no site started" >&2; exit 1; }

# ------------------------------------------------------------------ capture
mkdir -p "$out"
pcap=$out/$name.pcap
labels=$out/$name.labels.jsonl
ports=() sitemap=$work/sitemap.tsv
: > "$sitemap"
for s in "${started[@]}"; do
    k=${site_k[$s]}
    read -r -a sp <<< "$(site_var "$s" site_ports)"
    ((${#sp[@]})) || sp=("$(site_var "$s" site_port)")
    for p in "${sp[@]}"; do ports+=("$p"); printf 'server\t%s\t%s\t%s\n' "${site_addr[$s]}" "$p" "$s" >> "$sitemap"; done
    printf 'clients\t127.0.%s\t%s\t%s\n' "$((40 + k))" "$s" "$(site_var "$s" site_roles)" >> "$sitemap"
done
mapfile -t ports < <(printf '%s\n' "${ports[@]}" | sort -un)
filter="tcp and ($(printf 'port %s or ' "${ports[@]}" | sed 's/ or $//'))"
"${in_ns[@]}" tcpdump -i lo -n -s 0 -B 65536 -U -Z root -w "$pcap" "$filter" 2> "$work/tcpdump.log" & tcpdump_pid=$!
pids+=($tcpdump_pid)
for _ in $(seq 50); do grep -q listening "$work/tcpdump.log" && break; sleep 0.1; done

# ------------------------------------------------------------------ drive
log "capturing to $pcap for $seconds s: sites=${started[*]} browsers=$browsers seed=$seed"
for s in "${started[@]}"; do
    k=${site_k[$s]}
    setsid "${in_ns[@]}" bash -c 'set -uo pipefail; source "$1"; site_drive "$2" "$3" "$4" "$5" "$6"' _ \
        "$here/sites/$s.sh" "$work/sites/$s" "${site_addr[$s]}" "$((seed * 1000 + k))" "$seconds" "127.0.$((40 + k))" \
        > "$work/sites/$s/drive.log" 2>&1 & groups+=($!)
done
browse_list=$work/browse.tsv
: > "$browse_list"
for s in "${started[@]}"; do
    m=$(cd "$here" && bash -c 'set +u; source "$1"; declare -F site_browse > /dev/null && site_browse || true' _ "$here/sites/$s.sh")
    [ -n "$m" ] && printf '%s\thttp://%s:%s\t%s\n' "$s" "${site_addr[$s]}" "$(site_var "$s" site_port)" "$m" >> "$browse_list"
done
if [ -s "$browse_list" ]; then
    for ((i = 1; i <= browsers; i++)); do
        mkdir -p "$work/browser$i"
        setsid "${in_ns[@]}" env TSAPPS_BIND_ADDR="127.0.200.$((10 + i))" LD_PRELOAD="$work/bindaddr.so" HOME="$work/browser$i" \
            TSAPPS_DEBUG="${TSAPPS_KEEP_LOGS:-}" node "$here/driver/driver.mjs" --sites "$browse_list" --seed "$((seed * 100 + i))" --seconds "$seconds" \
            --profile "$work/browser$i/profile" --user "$i" > "$work/browser$i.log" 2>&1 & groups+=($!)
    done
fi
deadline=$((SECONDS + seconds + 90))
for g in "${groups[@]}"; do
    while kill -0 "$g" 2>/dev/null && ((SECONDS < deadline)); do sleep 1; done
done
for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
sleep 2
for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; wait "$g" 2>/dev/null || true; done
groups=()
sleep 1
kill -INT "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
grep -E 'captured|dropped' "$work/tcpdump.log" >&2 || true
for f in "$work"/browser*.log "$work"/sites/*/drive.log; do
    [ -f "$f" ] || continue
    n=$(grep -c 'ERROR' "$f" || true)
    ((n)) && log "$(basename "$(dirname "$f")")/$(basename "$f"): $n errors, e.g. $(grep -m1 ERROR "$f" | cut -c1-200)"
done
[ -n "${TSAPPS_KEEP_LOGS:-}" ] && { mkdir -p "$TSAPPS_KEEP_LOGS"; cp -r "$work"/browser*.log "$work"/sites "$TSAPPS_KEEP_LOGS"/ 2>/dev/null || true; }

# ------------------------------------------------------------------ labels and mix
cp "$sitemap" "$out/$name.sites.tsv"   # lets make-samples.sh relabel a cut of the capture
"$here/lib/label.sh" "$pcap" "$sitemap" "$labels" "$out/$name.mix.txt"
cat "$out/$name.mix.txt" >&2
log "wrote $pcap, $labels and $out/$name.mix.txt"
