#!/usr/bin/env bash
# svc-harness.sh - a small stand-in for pcaps/apps/run.sh, used by apps-svc to test site files
# before the runner existed. It follows pcaps/apps/CONTRACT.md: one namespace, site k (sorted by
# name among the chosen sites) on 127.0.(40+k).1, machine clients on 127.0.(40+k).(10+i),
# site_start -> tcpdump -> site_drive (all sites in parallel) -> stop by PID -> labels.
# It runs no browsers (site_browse is the runner's job).
#
# Usage (as root): pcaps/apps/svc-harness.sh [--minutes N] [--seconds N] [--sites LIST] [--seed S]
#                                            [--out DIR] [--name NAME] [--prefix P]
# Labels: one per HTTP request tshark finds; app = the site of dest address:port; phase = the role
# of the client address, from the site's `site_roles` ("10:api 11:cron ..." = CLIENTBASE.10 is
# the api client ...; "127.0.0.1>9100:scrape" = requests from 127.0.0.1 to ADDR:9100, for servers
# that call each other and cannot choose a source address); addresses not listed get "client".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds=60 sites="" seed=1 out="$here/out" name="" prefix=tssvc
while (($#)); do
    case "$1" in
        --minutes) seconds=$(($2 * 60)); shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --sites) sites=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --name) name=$2; shift 2 ;;
        --prefix) prefix=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "svc-harness: unknown option $1" >&2; exit 1 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "svc-harness: must run as root" >&2; exit 1; }
[ -n "$sites" ] || sites=$(cd "$here/sites" && ls *.sh | sed 's/\.sh$//' | tr '\n' ',')
mapfile -t chosen < <(tr ', ' '\n\n' <<< "$sites" | sed '/^$/d' | sort -u)
name=${name:-svc-$seed}
log() { printf '[svc %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# packages: the union of site_packages
pkgs=(tcpdump tshark iproute2 ethtool curl)
for s in "${chosen[@]}"; do pkgs+=($(site_packages=""; source "$here/sites/$s.sh"; echo "$site_packages")); done
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    created=0
    [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; created=1; }
    apt-get update -qq -o DPkg::Lock::Timeout=600 >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >&2 || { ((created)) && rm -f /usr/sbin/policy-rc.d; exit 1; }
    ((created)) && rm -f /usr/sbin/policy-rc.d
fi

work=$(mktemp -d -t tssvc.XXXXXX)
chmod 755 "$work"
ns="${prefix}$$"
tcpdump_pid=""
cleanup() {
    local rc=$?
    set +e
    [ -n "$tcpdump_pid" ] && { kill -INT "$tcpdump_pid" 2>/dev/null; wait "$tcpdump_pid" 2>/dev/null; }
    for s in "${chosen[@]}"; do
        [ -f "$work/$s/pids" ] || continue
        tac "$work/$s/pids" | while read -r pid; do
            [ -n "$pid" ] || continue
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null
        done
    done
    ip netns del "$ns" 2>/dev/null
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns"
in_ns=(ip netns exec "$ns")
"${in_ns[@]}" ip link set lo up mtu 1500
"${in_ns[@]}" ethtool -K lo tso off gso off gro off > /dev/null 2>&1 || true
"${in_ns[@]}" sysctl -q -w net.ipv4.ip_unprivileged_port_start=0

declare -A app_of role_of
k=0
for s in "${chosen[@]}"; do
    k=$((k + 1))
    addr=127.0.$((40 + k)).1 base=127.0.$((40 + k))
    mkdir -p "$work/$s"; chmod 755 "$work/$s"
    ports=$(source "$here/sites/$s.sh"; echo "${site_ports:-$site_port}")
    for p in $ports; do app_of["$addr:$p"]=$s; done
    for r in $(source "$here/sites/$s.sh"; echo "${site_roles:-}"); do
        key=${r%%:*}
        [[ $key == *.* ]] || key=$base.$key          # "10:api" = CLIENTBASE.10; "127.0.0.1>9100:scrape" = that source to that port
        [[ $key == *'>'* ]] && key="${key%%>*}>$addr:${key#*>}"
        role_of["$key"]=${r#*:}
    done
    log "starting $s on $addr ($ports)"
    "${in_ns[@]}" bash -c 'set -e; source "$1"; site_start "$2" "$3"' _ "$here/sites/$s.sh" "$work/$s" "$addr" \
        > "$work/$s.start.log" 2>&1 || { cat "$work/$s.start.log" >&2; log "$s did not start"; exit 1; }
done

mkdir -p "$out"
pcap=$out/$name.pcap labels=$out/$name.labels.jsonl
"${in_ns[@]}" tcpdump -i lo -n -s 0 -U -Z root -w "$pcap" tcp 2> "$work/tcpdump.log" & tcpdump_pid=$!
for _ in $(seq 50); do grep -q listening "$work/tcpdump.log" && break; sleep 0.1; done
log "driving ${chosen[*]} for $seconds s into $pcap"
k=0 drivers=()
for s in "${chosen[@]}"; do
    k=$((k + 1))
    "${in_ns[@]}" bash -c 'source "$1"; site_drive "$2" "$3" "$4" "$5" "$6"' _ "$here/sites/$s.sh" "$work/$s" \
        127.0.$((40 + k)).1 "$seed" "$seconds" 127.0.$((40 + k)) > "$work/$s.drive.log" 2>&1 & drivers+=($!)
done
for d in "${drivers[@]}"; do wait "$d" || true; done
sleep 1
kill -INT "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true; tcpdump_pid=""
grep -E 'captured|dropped' "$work/tcpdump.log" >&2 || true
for s in "${chosen[@]}"; do log "$s drive log tail:"; tail -n 5 "$work/$s.drive.log" >&2; done

# labels: every HTTP request tshark decodes (all site ports decoded as HTTP)
decode=()
for ap in "${!app_of[@]}"; do decode+=(-d "tcp.port==${ap#*:},http"); done
tshark -r "$pcap" -n "${decode[@]}" -Y http.request -T fields -E separator=/t \
    -e frame.time_epoch -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e http.request.method -e http.request.uri \
    2>/dev/null | python3 -c '
import sys, json, datetime
apps = dict(a.split("=", 1) for a in sys.argv[1].split())
roles = dict(a.split("=", 1) for a in sys.argv[2].split())
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    if len(f) < 7: continue
    ts, src, sport, dst, dport, method, uri = f[:7]
    app = apps.get(dst + ":" + dport)
    if app is None: continue
    role = roles.get(src + ">" + dst + ":" + dport) or roles.get(src, "client")
    t = datetime.datetime.fromtimestamp(float(ts), datetime.timezone.utc)
    print(json.dumps({"timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%f+0000"), "src_ip": src, "src_port": int(sport),
        "dest_ip": dst, "dest_port": int(dport), "http_method": method, "url": uri, "family": "benign",
        "phase": role, "app": app}, separators=(",", ":")))
' "$(for ap in "${!app_of[@]}"; do printf '%s=%s ' "$ap" "${app_of[$ap]}"; done)" \
  "$(for ip in "${!role_of[@]}"; do printf '%s=%s ' "$ip" "${role_of[$ip]}"; done)" > "$labels"
log "labels per app/phase:"
python3 -c 'import sys,json,collections; c=collections.Counter((j["app"],j["phase"],j["http_method"]) for j in map(json.loads,open(sys.argv[1]))); [print(f"  {n:6d} {a} {p} {m}") for (a,p,m),n in sorted(c.items())]' "$labels" >&2
log "wrote $pcap and $labels"
