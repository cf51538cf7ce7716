#!/usr/bin/env bash
# make-samples.sh CAPTURE.pcap [OUT_DIR] [BYTES_PER_APP] - cuts small samples out of an apps-lab
# capture: per application, whole TCP connections (SYN to FIN, every request answered), chosen
# to cover as many (role, method, status) combinations as the byte budget allows, written as
# OUT_DIR/APP.pcap with labels made the same way as the run's (lib/label.sh, CAPTURE's .sites.tsv).
# Default: pcaps/apps/samples, 180000 bytes per application. Needs tshark; no root.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
capture=$1 out=${2:-$here/samples} budget=${3:-180000}
sites=${capture%.pcap}.sites.tsv
[ -f "$sites" ] || { echo "make-samples.sh: no $sites beside the capture" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d -t tsapps-samples.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
decode=()
while IFS=$'\t' read -r kind _ port _; do [ "$kind" = server ] && decode+=(-d "tcp.port==$port,http"); done < "$sites"
tshark -r "$capture" -n "${decode[@]}" -T fields -E separator='|' -E occurrence=f \
    -e tcp.stream -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e frame.len -e tcp.flags.syn -e tcp.flags.fin -e tcp.flags.reset \
    -e http.request.method -e http.response.code > "$tmp/frames" 2> /dev/null
python3 - "$tmp/frames" "$sites" "$budget" > "$tmp/choice" <<'PY'
import collections, sys
frames, sites, budget = sys.argv[1], sys.argv[2], int(sys.argv[3])
servers, roles = {}, {}
for line in open(sites):
    p = line.rstrip("\n").split("\t")
    if p[0] == "server":
        servers[(p[1], p[2])] = p[3]
    elif p[0] == "clients":
        for pair in (p[3].split() if len(p) > 3 else []):
            k, v = pair.split(":", 1)
            roles[f"{p[1]}.{k}"] = v
st = collections.defaultdict(lambda: {"bytes": 0, "syn": False, "fin": False, "rst": False, "req": [], "resp": [], "app": None, "src": None})
for line in open(frames):
    f = line.rstrip("\n").split("|")
    if len(f) < 11 or not f[0]:
        continue
    s = st[f[0]]
    s["bytes"] += int(f[5]) + 16
    s["syn"] |= f[6] in ("1", "True")
    s["fin"] |= f[7] in ("1", "True")
    s["rst"] |= f[8] in ("1", "True")
    if (f[2], f[4]) in servers:
        s["app"], s["src"] = servers[(f[2], f[4])], f[1]
    if f[9]:
        s["req"].append(f[9])
    if f[10]:
        s["resp"].append(f[10])
by_app = collections.defaultdict(list)
for sid, s in st.items():
    if s["app"] and s["syn"] and s["fin"] and not s["rst"] and s["req"] and len(s["req"]) == len(s["resp"]):
        role = "browser" if s["src"].startswith("127.0.200.") else roles.get(s["src"], "machine")
        s["combos"] = {(role, m, c) for m, c in zip(s["req"], s["resp"])}
        by_app[s["app"]].append((sid, s))
for app, cands in sorted(by_app.items()):
    used, seen, chosen = 0, set(), []
    while True:
        best = None
        for sid, s in cands:
            if sid in chosen or used + s["bytes"] > budget:
                continue
            score = (len(s["combos"] - seen), -s["bytes"])
            if best is None or score > best[0]:
                best = (score, sid, s)
        if best is None or (best[0][0] == 0 and used > budget * 0.6):
            break
        chosen.append(best[1]); seen |= best[2]["combos"]; used += best[2]["bytes"]
    print(app, ",".join(sorted(chosen, key=int)))
PY
while read -r app streams; do
    [ -n "$streams" ] || continue
    tshark -r "$capture" -Y "tcp.stream in {$streams}" -F pcap -w "$out/$app.pcap" 2> "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    "$here/lib/label.sh" "$out/$app.pcap" "$sites" "$out/$app.labels.jsonl" "$tmp/$app.mix"
    echo "$app: $(wc -l < "$out/$app.labels.jsonl") requests, $(stat -c %s "$out/$app.pcap") bytes" >&2
done < "$tmp/choice"
