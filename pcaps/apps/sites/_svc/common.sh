# common.sh - helpers shared by the apps-svc site files (sourced by them, not a site itself).
svc_common_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# svc_shim WORK: builds the address shim into WORK (once) and prints its path.
svc_shim() {
    local so=$1/addrshim.so
    [ -f "$so" ] || gcc -shared -fPIC -O2 -o "$so" "$svc_common_dir/addrshim.c" -ldl
    echo "$so"
}

# svc_wait_http URL [TRIES]: waits until URL answers with any HTTP status.
svc_wait_http() {
    local url=$1 tries=${2:-120}
    for _ in $(seq "$tries"); do
        [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" 2>/dev/null)" != 000 ] && return 0
        sleep 0.5
    done
    echo "site did not answer at $url" >&2
    return 1
}

# svc_until END: true while the clock is before END (epoch seconds).
svc_until() { [ "$(date +%s)" -lt "$1" ]; }

# svc_sleep END SECONDS: sleeps SECONDS (may be fractional) but never past END.
svc_sleep() {
    local left=$(($1 - $(date +%s)))
    ((left > 0)) || return 0
    sleep "$(awk -v a="$2" -v b="$left" 'BEGIN { print (a < b ? a : b) }')"
}
