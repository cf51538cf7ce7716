#!/usr/bin/env python3
"""expect.py - what tshark sees in a lab HTTPS capture: the expectation file NAME.expect.jsonl.

Usage: expect.py CAPTURE.pcap [KEYLOG] > CAPTURE.expect.jsonl

One JSON object per line, sorted (TLS connections by TCP stream, then HTTP transactions by stream,
HTTP/2 stream id and request frame); the format is documented in pcaps/tls/lab/README.md. With a
key log tshark decrypts (-o tls.keylog_file:KEYLOG) and the HTTP/1.1 and HTTP/2 transactions are
listed; without one only the TLS handshakes are. Everything comes from tshark itself: this script
only pairs and orders its rows, so the file is an independent oracle for the sensor. tshark's
output is read as UTF-8; bytes that are not (binary bodies, hostile headers) become U+FFFD.
"""
import json
import subprocess
import sys


def tshark(pcap, keys, display_filter, fields):
    """Rows of tshark -T fields: one list of field values (each a list of occurrences) per frame."""
    args = ["tshark", "-n", "-r", pcap]
    if keys:
        args += ["-o", "tls.keylog_file:" + keys]
    args += ["-Y", display_filter, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=/s"]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, check=True, capture_output=True, text=True, errors="replace").stdout
    return [[v.split(" ") if v else [] for v in line.split("\t")] for line in out.splitlines() if line]


def tshark_json(pcap, keys, display_filter):
    args = ["tshark", "-n", "-r", pcap]
    if keys:
        args += ["-o", "tls.keylog_file:" + keys]
    args += ["-Y", display_filter, "-T", "json", "-J", "frame ip tcp http2"]
    out = subprocess.run(args, check=True, capture_output=True, text=True, errors="replace").stdout
    return json.loads(out, object_pairs_hook=keep_repeated) if out.strip() else []


def keep_repeated(pairs):
    """tshark's JSON repeats a key for repeated fields (http2.header, http2.stream): keep them all, as a list."""
    d = {}
    for k, v in pairs:
        if k in d:
            d[k] = (d[k] if isinstance(d[k], Repeated) else Repeated([d[k]])) + Repeated([v])
        else:
            d[k] = v
    return d


class Repeated(list):
    """The values of a key tshark repeated."""


def first(values, default=None):
    return values[0] if values else default


def last(values, default=None):
    return values[-1] if values else default


def endpoint(ip, port):
    return f"{ip}:{port}"


TLS_VERSIONS = {"0x0301": "TLS 1.0", "0x0302": "TLS 1.1", "0x0303": "TLS 1.2", "0x0304": "TLS 1.3"}


def tls_connections(pcap, keys):
    conns = {}
    for f in tshark(pcap, keys, "tls.handshake.type == 1",
                    ["tcp.stream", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport", "tls.handshake.extensions_server_name",
                     "tls.handshake.ja3", "tls.handshake.ja3_full", "tls.handshake.extensions_alpn_str", "tls.handshake.random"]):
        stream = int(last(f[0]))
        if stream in conns:
            continue  # a second ClientHello (after a HelloRetryRequest) keeps the first's facts
        conns[stream] = {
            "type": "tls", "stream": stream,
            "client": endpoint(last(f[1]), last(f[2])), "server": endpoint(last(f[3]), last(f[4])),
            "client_random": first(f[9]), "sni": first(f[5]), "ja3": first(f[6]), "ja3_full": first(f[7]), "client_alpn": f[8],
            "version": None, "cipher_suite": None, "alpn": None, "ja3s": None, "ja3s_full": None,
        }
    for f in tshark(pcap, keys, "tls.handshake.type == 2",
                    ["tcp.stream", "tls.handshake.version", "tls.handshake.extensions.supported_version", "tls.handshake.ciphersuite",
                     "tls.handshake.ja3s", "tls.handshake.ja3s_full", "tls.handshake.extensions_alpn_str"]):
        conn = conns.get(int(last(f[0])))
        if conn is None or conn["ja3s"] is not None:
            continue
        version = first(f[2]) or first(f[1])
        conn.update(version=TLS_VERSIONS.get(version, version), cipher_suite=first(f[3]), ja3s=first(f[4]), ja3s_full=first(f[5]))
        conn["alpn"] = first(f[6])
    if keys:
        # TLS 1.3 sends the server's ALPN choice in EncryptedExtensions (type 8), readable with keys only.
        for f in tshark(pcap, keys, "tls.handshake.type == 8 && tls.handshake.extensions_alpn_str",
                        ["tcp.stream", "tls.handshake.extensions_alpn_str"]):
            conn = conns.get(int(last(f[0])))
            if conn is not None and conn["alpn"] is None:
                conn["alpn"] = first(f[1])
    return conns


def http1_transactions(pcap, keys):
    """HTTP/1.x requests with their response status, paired by tshark's http.request_in."""
    requests = {}
    for f in tshark(pcap, keys, "http.request",
                    ["frame.number", "tcp.stream", "ip.src", "tcp.srcport", "ip.dst", "tcp.dstport",
                     "http.request.method", "http.request.uri", "http.host", "http.request.version"]):
        frame = int(first(f[0]))
        requests[frame] = {
            "type": "http", "stream": int(last(f[1])), "client": endpoint(last(f[2]), last(f[3])), "server": endpoint(last(f[4]), last(f[5])),
            "protocol": first(f[9], "HTTP/1.1"), "h2_stream": None, "frame": frame,
            "method": first(f[6]), "uri": first(f[7]), "host": first(f[8]), "status": None,
        }
    for f in tshark(pcap, keys, "http.response", ["http.response.code", "http.request_in"]):
        for code, link in zip(f[0], f[1]):
            request = requests.get(int(link))
            if request is not None and request["status"] is None and not (100 <= int(code) < 200 and code != "101"):
                request["status"] = int(code)
    return list(requests.values())


def walk(node, found):
    """Collects every dict that carries an http2.streamid (one HTTP/2 frame each)."""
    if isinstance(node, dict):
        if "http2.streamid" in node:
            found.append(node)
        for v in node.values():
            walk(v, found)
    elif isinstance(node, list):
        for v in node:
            walk(v, found)


def field(node, name):
    """The first value of a field anywhere under a node."""
    if isinstance(node, dict):
        if name in node:
            v = node[name]
            return v[0] if isinstance(v, list) else v
        for v in node.values():
            r = field(v, name)
            if r is not None:
                return r
    elif isinstance(node, list):
        for v in node:
            r = field(v, name)
            if r is not None:
                return r
    return None


def http2_transactions(pcap, keys):
    """HTTP/2 streams: the request's pseudo-headers and the first final :status on the same stream."""
    streams = {}
    for packet in tshark_json(pcap, keys, "http2.type == 1"):
        layers = packet["_source"]["layers"]
        frame = int(field(layers.get("frame"), "frame.number"))
        tcp = layers.get("tcp")
        ip = layers.get("ip")
        stream = int(field(tcp, "tcp.stream"))
        src = endpoint(field(ip, "ip.src"), field(tcp, "tcp.srcport"))
        dst = endpoint(field(ip, "ip.dst"), field(tcp, "tcp.dstport"))
        frames = []
        walk(layers.get("http2"), frames)
        for h2 in frames:
            if field(h2, "http2.type") != "1":
                continue
            sid = int(field(h2, "http2.streamid"))
            method = field(h2, "http2.headers.method")
            status = field(h2, "http2.headers.status")
            key = (stream, sid)
            if method is not None and key not in streams:
                streams[key] = {
                    "type": "http", "stream": stream, "client": src, "server": dst, "protocol": "HTTP/2", "h2_stream": sid, "frame": frame,
                    "method": method, "uri": field(h2, "http2.headers.path"), "host": field(h2, "http2.headers.authority"), "status": None,
                }
            elif status is not None and key in streams and streams[key]["status"] is None and not (100 <= int(status) < 200):
                streams[key]["status"] = int(status)
    return list(streams.values())


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    pcap = sys.argv[1]
    keys = sys.argv[2] if len(sys.argv) == 3 else None
    conns = tls_connections(pcap, keys)
    out = [conns[s] for s in sorted(conns)]
    if keys:
        http = http1_transactions(pcap, keys) + http2_transactions(pcap, keys)
        out += sorted(http, key=lambda t: (t["stream"], t["h2_stream"] or 0, t["frame"]))
    for o in out:
        print(json.dumps(o, separators=(",", ":")))


if __name__ == "__main__":
    main()
