#!/usr/bin/env python3
"""Records the HTTP evasion corpus against a real server (issue 10).

Each case sends raw bytes to nginx 1.22 + php-fpm 8.2 (shell.php reports what PHP received) on
127.0.88.1:8080, records the connection with tcpdump into CASE/input.pcap, and writes CASE/expected.json:
the requests as nginx logged them (method, target, version, status) and what PHP received (parameter
and file names), plus what the sensor must add (anomalies). The server is the judge; the test
TrafficSensor.Tests.Http.CorpusTests replays every case. Run as root with the server set up as in
README.md beside this script (server/serve.sh):  python3 make-corpus.py [CASE...]
"""
import json, os, socket, struct, subprocess, sys, time

HOST, PORT = "127.0.88.1", 8080
LOGS = "/tmp/tshttp-srv/logs"
HERE = os.path.dirname(os.path.abspath(__file__))

def shell(cmd, extra=""):
    return f"GET /shell.php?cmd={cmd} HTTP/1.1\r\nHost: victim\r\n{extra}\r\n".encode()

def form(body, extra=""):
    return (f"POST /shell.php HTTP/1.1\r\nHost: victim\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n{body}").encode()

def multipart(disposition):
    body = (f"--B0undary\r\nContent-Disposition: form-data; name=\"up\"; {disposition}\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n<?php system($_GET['c']); ?>\r\n--B0undary--\r\n")
    return (f"POST /shell.php HTTP/1.1\r\nHost: victim\r\nContent-Type: multipart/form-data; boundary=B0undary\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()

def head_and_body(message):
    end = message.index(b"\r\n\r\n") + 4
    return [message[:end], message[end:]]

LONG = "A" * 30
PIPELINE = b"".join(shell(f"p{i}") if i % 4 else f"GET /missing-{i} HTTP/1.1\r\nHost: victim\r\n\r\n".encode() for i in range(70))

# name: (what it shows, parts sent on one connection (a pause between parts), anomalies per request index)
CASES = {
    "long-method": ("a 30-character method runs the shell; the keep-alive request after it too",
                    [f"{LONG} /shell.php?cmd=id HTTP/1.1\r\nHost: victim\r\n\r\n".encode(), shell("after")], {}),
    "version-1-10": ("HTTP/1.10: nginx reads it as 1.x and runs the shell",
                     [b"GET /shell.php?cmd=id HTTP/1.10\r\nHost: victim\r\n\r\n", shell("after")], {0: ["unusual_http_version"]}),
    "version-01-1": ("HTTP/01.1: nginx 1.22.1 refuses it (400) and closes; Apache's lenient mode and others read it as 1.1",
                     [b"GET /shell.php?cmd=id HTTP/01.1\r\nHost: victim\r\n\r\n"], {0: ["unusual_http_version"]}),
    "tab-separators": ("tabs between the request line's parts",
                       [b"GET\t/shell.php?cmd=id\tHTTP/1.1\r\nHost: victim\r\n\r\n"], {0: ["whitespace_in_request_line"]}),
    "http09": ("an HTTP/0.9 request line: no version, no headers; nginx answers with the bare body",
               [b"GET /shell.php?cmd=id\r\n"], {0: ["http09_request_line", "truncated_head"]}),
    "missing-space-before-version": ("GET /HTTP/1.1: the space before the version lost",
                                     [b"GET /HTTP/1.1\r\nHost: victim\r\n\r\n"], {0: ["http09_request_line"]}),
    "options-without-target": ("OPTIONS HTTP/1.1: no target",
                               [b"OPTIONS HTTP/1.1\r\nHost: victim\r\n\r\n"], {0: ["missing_target"]}),
    "pipeline-70": ("70 pipelined requests, every fourth a 404: each response pairs with its own request",
                    [PIPELINE], "pipeline"),
    "folded-content-type": ("Content-Type folded onto a continuation line (obs-fold)",
                            [form("cmd=id", "").replace(b"Content-Type: application", b"Content-Type:\r\n application")], {0: ["obs_fold"]}),
    "chunk-size-leading-zeros": ("a chunk size of 000000000000000000006 (nginx accepts leading zeros)",
                                 [b"POST /shell.php HTTP/1.1\r\nHost: victim\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                  b"Transfer-Encoding: chunked\r\n\r\n000000000000000000006\r\ncmd=id\r\n0\r\n\r\n"], {}),
    "filename-semicolon": ("a quoted file name containing ';'", [multipart('filename="a;shell.php"')], {}),
    "filename-star": ("an RFC 6266 filename* beside a decoy filename", [multipart("filename=\"a.jpg\"; filename*=UTF-8''shell.php")],
                      {0: ["ambiguous_file_name"]}),
    "request-only-hole": ("keep-alive form POSTs, server side not captured and one client segment lost: the sensor resyncs on the next request line",
                          [part for i in range(6) for part in head_and_body(form(f"cmd=id{i}&x={'y' * 40}"))], "hole"),
}

# Where tshark's reading differs on purpose (the tshark oracle test skips these tshark rows): tshark
# takes "HTTP/1.1" for the target of "OPTIONS HTTP/1.1"; the sensor, like servers that parse the line
# from its end, sees a version and no target (and flags missing_target).
TSHARK_READS = {"options-without-target": ["OPTIONS HTTP/1.1"]}

def read_jsonl(path):
    try:
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        return []

def record(name, parts, pcap):
    for log in ("access.jsonl", "php.jsonl"):
        open(os.path.join(LOGS, log), "w").close()
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-s", "0", "-w", pcap, f"host {HOST} and tcp port {PORT}"],
                            stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    with socket.create_connection((HOST, PORT)) as s:
        s.settimeout(1.0)
        for part in parts:
            s.sendall(part)
            time.sleep(0.3)
            try:
                while s.recv(65536):
                    pass
            except (socket.timeout, ConnectionResetError):
                pass
        s.shutdown(socket.SHUT_WR)
        try:
            while s.recv(65536):
                pass
        except (socket.timeout, ConnectionResetError):
            pass
    time.sleep(1.0)
    dump.terminate()
    dump.wait()
    return read_jsonl(os.path.join(LOGS, "access.jsonl")), read_jsonl(os.path.join(LOGS, "php.jsonl"))

def make_hole(pcap):
    """Keeps the client's packets only and drops its third data segment, the head of the second request:
    after the hole each request line follows a form body with no line feed before it."""
    data = open(pcap, "rb").read()
    out, offset, data_segments = [data[:24]], 24, 0
    link = struct.unpack("<I", data[20:24])[0]
    assert link == 1, "expected Ethernet from tcpdump -i lo"
    while offset + 16 <= len(data):
        incl = struct.unpack("<I", data[offset + 8:offset + 12])[0]
        frame = data[offset + 16:offset + 16 + incl]
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        sport = struct.unpack("!H", ip[ihl:ihl + 2])[0]
        tcp_len = (ip[ihl + 12] >> 4) * 4
        payload = struct.unpack("!H", ip[2:4])[0] - ihl - tcp_len
        keep = sport != PORT
        if keep and payload > 0:
            data_segments += 1
            keep = data_segments != 3
        if keep:
            out.append(data[offset:offset + 16 + incl])
        offset += 16 + incl
    open(pcap, "wb").write(b"".join(out))

def tcp_ip(src, sport, dst, dport, seq, ack, flags, payload, ident):
    """An IPv4 packet carrying a TCP segment, with correct checksums."""
    def csum(b):
        if len(b) % 2: b += b"\0"
        t = sum(struct.unpack("!%dH" % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
        return (~t) & 0xffff
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    return tcp, lambda ident_, off, mf, data: _ip(src, dst, ident_, off, mf, data, csum)

def _ip(src, dst, ident, off, mf, data, csum):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), ident, (0x2000 if mf else 0) | (off // 8), 64, 6, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + data

def make_fragment_case():
    """IPv4 fragments with a decoy overlapping the request: Linux drops such a datagram (checked on this
    kernel: a UDP datagram sent to 127.0.88.1 as overlapping fragments never reaches the socket, while a
    fragment wholly inside received bytes is ignored and the first copy kept); the client then
    retransmits, cleanly fragmented. The server ran the retransmitted request, never the decoy."""
    folder = os.path.join(HERE, "ipv4-overlapping-fragments")
    os.makedirs(folder, exist_ok=True)
    client, server = "10.88.0.2", "10.88.0.1"
    genuine = b"GET /shell.php?cmd=id HTTP/1.1\r\nHost: victim\r\n\r\n"
    decoy = b"GET /index.php?p=home HTTP/1.1\r\nHost: victim\r\n\r\n"
    response = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nOUT:id\n"
    frames = []
    def add(ip):
        frames.append(b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip)
    def whole(src, sport, dst, dport, seq, ack, flags, payload, ident):
        seg, ip = tcp_ip(src, sport, dst, dport, seq, ack, flags, payload, ident)
        add(ip(ident, 0, False, seg))
    whole(client, 40088, server, 80, 1000, 0, 0x02, b"", 1)
    whole(server, 80, client, 40088, 5000, 1001, 0x12, b"", 1)
    whole(client, 40088, server, 80, 1001, 5001, 0x10, b"", 2)
    seg, ip = tcp_ip(client, 40088, server, 80, 1001, 5001, 0x18, genuine, 3)
    fake, _ = tcp_ip(client, 40088, server, 80, 1001, 5001, 0x18, decoy, 3)
    add(ip(3, 0, True, seg[:24]))          # TCP header and "GET "
    add(ip(3, 16, True, fake[16:56]))      # the decoy: overlaps the first fragment's tail, carries "/index.php..."
    add(ip(3, 24, False, seg[24:]))        # the rest of the genuine request
    add(ip(4, 0, True, seg[:24]))          # the retransmission, cleanly fragmented (new IP id)
    add(ip(4, 24, False, seg[24:]))
    whole(server, 80, client, 40088, 5001, 1001 + len(genuine), 0x18, response, 2)
    whole(client, 40088, server, 80, 1001 + len(genuine), 5001 + len(response), 0x11, b"", 5)
    whole(server, 80, client, 40088, 5001 + len(response), 1002 + len(genuine), 0x11, b"", 3)
    pcap = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    for i, f in enumerate(frames):
        pcap += struct.pack("<IIII", 1_700_000_000, i * 1000, len(f), len(f)) + f
    open(os.path.join(folder, "input.pcap"), "wb").write(pcap)
    expected = {"description": "a decoy IPv4 fragment overlapping the request (\"/index.php?p=home\" in the overlap); the retransmission carries the request the server ran",
                "judge": "Linux 6.x IPv4 reassembly (overlap drops the datagram; verified with UDP over 127.0.88.1)",
                "transactions": [{"http_method": "GET", "url": "/shell.php?cmd=id", "protocol": "HTTP/1.1", "status": 200}],
                "anomalies": {}, "decode_errors": {"fragment_overlap": 1, "fragment_overlap_dropped": 1},
                "tshark_reads": ["GET /index.php?p=home"]}
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("ipv4-overlapping-fragments:", len(pcap), "bytes of pcap")

def main(names):
    if "ipv4-overlapping-fragments" in names or not names:
        make_fragment_case()
        names = [n for n in names if n != "ipv4-overlapping-fragments"]
        if not names and len(sys.argv) > 1:
            return
    for name in names or CASES:
        description, parts, anomalies = CASES[name]
        folder = os.path.join(HERE, name)
        os.makedirs(folder, exist_ok=True)
        pcap = os.path.join(folder, "input.pcap")
        access, php = record(name, parts, pcap)
        transactions = []
        php_by_uri = {}
        for p in php:
            php_by_uri.setdefault(p["uri"], []).append(p)
        for i, a in enumerate(access):
            # The raw request line as nginx logged it ($request): what was sent, even when nginx
            # refused it (400, with $request_method and $request_uri empty).
            words = a["request"].split()
            version = words[-1] if len(words) >= 2 and words[-1].upper().startswith("HTTP/") else ""
            target = words[1] if len(words) >= 3 or (len(words) == 2 and not version) else ""
            tx = {"http_method": words[0] if words else "", "url": target, "protocol": version, "status": a["status"]}
            if a["status"] == 400:
                tx["nginx"] = "refused (400)"
            if not version:
                # An HTTP/0.9 answer is the bare body: the status nginx logged never goes on the wire.
                tx["status"], tx["nginx_status"] = None, a["status"]
            ran = php_by_uri.get(a["uri"], [])
            if ran and a["status"] == 200:
                seen = ran.pop(0)
                tx["php_parameters"] = seen["params"]
                if seen["files"]:
                    tx["php_files"] = seen["files"]
            transactions.append(tx)
        expected = {"description": description, "judge": "nginx 1.22.1 + php-fpm 8.2 (access log and what PHP received)",
                    "transactions": transactions}
        if anomalies == "hole":
            make_hole(pcap)
            expected["transactions"] = [dict(t, status=None) for i, t in enumerate(transactions) if i != 1]
            expected["anomalies"] = {}
        elif anomalies == "pipeline":
            expected["anomalies"] = {}
        else:
            expected["anomalies"] = {str(k): v for k, v in anomalies.items()}
        if name in TSHARK_READS:
            expected["tshark_reads"] = TSHARK_READS[name]
        with open(os.path.join(folder, "expected.json"), "w") as f:
            json.dump(expected, f, indent=1)
            f.write("\n")
        print(name, len(transactions), "requests logged;", os.path.getsize(pcap), "bytes of pcap")

if __name__ == "__main__":
    main(sys.argv[1:])
