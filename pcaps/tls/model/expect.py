#!/usr/bin/env python3
"""expect.py CAPTURE > CAPTURE-stem.shape.tsv

The record-size and timing features of every TLS connection of a capture (the first part of the sensor's
ts-tls-features-1 schema), computed from tshark's own reading of the records (tls.record.length,
content/opaque type, frame times) without keys, independently of the sensor's code. The sensor's test
(tests/TrafficSensor.Tests/Features/TlsShapeFeaturesTests.cs) compares its features with these.

Definitions (the model card in models/README.md says the same):
  application records: content type 23; in TLS 1.3 the server's before the client's first one (its
  encrypted handshake) and the client's first one (its Finished) are left out.
  exchange: a run of client application records (the request) and the server's records that follow
  until the client sends again (the answer); an exchange starts with its first request record.
"""
import math, subprocess, sys
from collections import defaultdict

cap = sys.argv[1]
out = subprocess.run(["tshark", "-n", "-r", cap, "-Y", "tls || (tcp.flags.syn == 1 && tcp.flags.ack == 0)", "-T", "fields",
    "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
    "-e", "tcp.stream", "-e", "frame.time_epoch", "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport",
    "-e", "tcp.flags.syn", "-e", "tcp.flags.ack", "-e", "tls.record.content_type", "-e", "tls.record.opaque_type",
    "-e", "tls.record.length", "-e", "tls.handshake.type", "-e", "tls.handshake.extensions.supported_version"],
    capture_output=True, text=True, check=True).stdout

streams = defaultdict(lambda: {"client": None, "server": None, "records": [], "tls13": False})
for line in out.splitlines():
    f = line.split("\t")
    s = streams[int(f[0])]
    micros = round(float(f[1]) * 1e6)
    src, dst = (f[2], int(f[3])), (f[4], int(f[5]))
    if f[6] == "1" and f[7] == "0":
        s["client"], s["server"] = src, dst
        continue
    if not f[10]:
        continue
    # Within one frame tshark lists clear records' content types, then TLS 1.3 encrypted records' opaque types.
    types = [int(t) for t in (f[8].split(",") if f[8] else [])] + [int(t) for t in (f[9].split(",") if f[9] else [])]
    lengths = [int(x) for x in f[10].split(",")]
    assert len(types) == len(lengths), line
    hs = f[11].split(",") if f[11] else []
    # ServerHello (type 2) with supported_versions 0x0304 in it: TLS 1.3.
    if "2" in hs and "0x0304" in f[12].split(","):
        s["tls13"] = True
    for t, n in zip(types, lengths):
        s["records"].append((src, t, n, micros))

def cv(xs):
    if len(xs) < 2: return 0.0
    m = sum(xs) / len(xs)
    if m <= 0: return 0.0
    return math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs)) / m

def regularity(gaps):
    return 0.0 if len(gaps) < 3 else 1 / (1 + cv(gaps))

names = ["client_app_records", "server_app_records", "client_app_bytes", "server_app_bytes", "exchanges", "first_request_bytes",
         "first_answer_bytes", "request_bytes_mean", "request_bytes_cv", "answer_bytes_mean", "answer_bytes_cv", "max_answer_bytes",
         "answer_request_log_ratio", "small_exchange_share", "duration_seconds", "request_interval_seconds", "request_interval_regularity"]
print("\t".join(["stream", "client", "server"] + names))
for sid in sorted(streams):
    s = streams[sid]
    if s["client"] is None or not s["records"]:
        continue
    app, client_seen = [], False
    for src, t, n, ts in s["records"]:
        if t != 23: continue
        from_client = src == s["client"]
        if s["tls13"] and not client_seen:
            if from_client: client_seen = True
            continue
        app.append((from_client, n, ts))
    ex = []  # [request, answer, start]
    for from_client, n, ts in app:
        if from_client:
            if not ex or ex[-1][1] > 0: ex.append([0, 0, ts])
            ex[-1][0] += n
        elif ex:
            ex[-1][1] += n
    v = dict.fromkeys(names, 0.0)
    v["client_app_records"] = sum(1 for a in app if a[0]); v["server_app_records"] = sum(1 for a in app if not a[0])
    v["client_app_bytes"] = sum(a[1] for a in app if a[0]); v["server_app_bytes"] = sum(a[1] for a in app if not a[0])
    v["exchanges"] = len(ex)
    times = [r[3] for r in s["records"]]
    v["duration_seconds"] = (max(times) - times[0]) / 1e6
    if ex:
        req = [e[0] for e in ex]; ans = [e[1] for e in ex]
        v["first_request_bytes"], v["first_answer_bytes"] = req[0], ans[0]
        v["request_bytes_mean"], v["request_bytes_cv"] = sum(req) / len(req), cv(req)
        v["answer_bytes_mean"], v["answer_bytes_cv"], v["max_answer_bytes"] = sum(ans) / len(ans), cv(ans), max(ans)
        v["answer_request_log_ratio"] = sum(math.log((a + 1) / (r + 1)) for r, a in zip(req, ans)) / len(ex)
        v["small_exchange_share"] = sum(1 for r, a in zip(req, ans) if r <= 1500 and a <= 1500) / len(ex)
        if len(ex) >= 2:
            gaps = [(ex[i][2] - ex[i - 1][2]) / 1e6 for i in range(1, len(ex))]
            v["request_interval_seconds"] = sum(gaps) / len(gaps)
            v["request_interval_regularity"] = regularity(gaps)
    print("\t".join([str(sid), "%s:%d" % s["client"], "%s:%d" % s["server"]] + ["%.6g" % v[n] for n in names]))
