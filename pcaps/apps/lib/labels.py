"""Writes the labels (one JSON line per HTTP request tshark found) and the benign-mix table.

Inputs: tshark field dumps of requests and responses ('|'-separated), and the run's site map.
The label fields are those of pcaps/lab labels plus "app"; every request in these captures is
benign, so family is always "benign" and phase is the client role given by the source address."""
import collections
import datetime
import json
import sys

req_path, resp_path, sitemap_path, labels_path, mix_path = sys.argv[1:6]

servers, roles, client_app = {}, {}, {}
for line in open(sitemap_path, encoding="utf-8"):
    parts = line.rstrip("\n").split("\t")
    if parts[0] == "server":
        servers[(parts[1], int(parts[2]))] = parts[3]
    elif parts[0] == "clients":
        client_app[parts[1]] = parts[2]
        for pair in (parts[3].split() if len(parts) > 3 else []):
            suffix, role = pair.split(":", 1)
            roles[f"{parts[1]}.{suffix}"] = role


server_addrs = {addr for addr, _ in servers}


def phase(src):
    if src.startswith("127.0.200."):
        return "browser"
    if src == "127.0.0.1":
        return "server-internal"   # Apache's own dummy connections (OPTIONS *) that wake its children
    if src in server_addrs:
        return "loopback"          # an application calling itself (WordPress loopback checks)
    if src in roles:
        return roles[src]
    return "machine" if src.rsplit(".", 1)[0] in client_app else "unknown"


responses = {}
for line in open(resp_path, encoding="utf-8", errors="replace"):
    f = line.rstrip("\n").split("|")
    if len(f) >= 3 and f[0]:
        responses[f[0]] = (f[1], f[2].split(";")[0].strip().lower())

# the URI may itself contain '|': the fields before and after it are fixed in number
rows = []
for line in open(req_path, encoding="utf-8", errors="surrogateescape"):
    f = line.rstrip("\n").split("|")
    if len(f) < 10:
        continue
    frame, epoch, src, sport, dst, dport, method = f[:7]
    ctype, clen = f[-2], f[-1]
    uri = "|".join(f[7:-2])
    rows.append((frame, float(epoch), src, int(sport), dst, int(dport), method, uri, ctype.split(";")[0].strip().lower(), clen))

mix = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
with open(labels_path, "w", encoding="utf-8") as out:
    for frame, epoch, src, sport, dst, dport, method, uri, ctype, clen in rows:
        app = servers.get((dst, dport), "unknown")
        ts = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
        label = {"timestamp": ts, "src_ip": src, "src_port": sport, "dest_ip": dst, "dest_port": dport,
                 "http_method": method, "url": uri, "family": "benign", "phase": phase(src), "app": app}
        out.write(json.dumps(label, ensure_ascii=False) + "\n")
        status, rtype = responses.get(frame, ("none", ""))
        m = mix[app]
        m["requests"]["n"] += 1
        m["method"][method] += 1
        m["status"][status] += 1
        m["phase"][label["phase"]] += 1
        if ctype:
            m["request body"][ctype] += 1
        elif method in ("POST", "PUT", "PATCH"):
            m["request body"]["(none)" if clen in ("", "0") else "(untyped)"] += 1
        m["response type"][rtype or "(none)"] += 1


def top(counter, n=6):
    items = counter.most_common()
    text = " ".join(f"{k}={v}" for k, v in items[:n])
    return text + (f" +{len(items) - n} more" if len(items) > n else "")


with open(mix_path, "w", encoding="utf-8") as out:
    total = sum(m["requests"]["n"] for m in mix.values())
    out.write(f"benign mix: {total} requests\n")
    out.write("| app | requests | roles | methods | statuses | request bodies | response types |\n")
    out.write("| --- | ---: | --- | --- | --- | --- | --- |\n")
    for app in sorted(mix):
        m = mix[app]
        out.write(f"| {app} | {m['requests']['n']} | {top(m['phase'])} | {top(m['method'])} | {top(m['status'])} | "
                  f"{top(m['request body'], 4)} | {top(m['response type'], 5)} |\n")
