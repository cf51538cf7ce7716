#!/usr/bin/python3
"""Builds the hostile TCP corpus with a real server as the judge (run as root; see README.md here).

For each case, inside a private network namespace (prefix tstcp): PHP's built-in server serves a
web-shell emulator at 127.0.10.1:80 (it echoes the command, never runs it); a scapy client at
127.0.66.1 speaks raw TCP, sending decoys an IDS might believe and the request the server should
run; tcpdump records the loopback (checksum offload off, so checksums on the wire are real). What
the server ran is read from its own log and written to the case's expected.json: the expectation
is the server's verdict, not ours. Decoys "dying on the way" (low TTL) are dropped by a netfilter
rule standing for the router hop where their TTL runs out.

Usage: make-corpus.py [CASE...]   (default: every case; needs python3-scapy, php-cli, tcpdump, iptables)
"""
import json, os, queue, shutil, signal, subprocess, sys, tempfile, time

from scapy.all import Ether, IP, TCP, Raw, conf, send, sendp, AsyncSniffer, L3RawSocket  # noqa: E402

NS = "tstcp0"
SERVER, CLIENT, PORT = "127.0.10.1", "127.0.66.1", 80
TTL = 63            # the client's hop count as seen at the sensor; the kernel's own RSTs (TTL 64) are dropped
HERE = os.path.dirname(os.path.abspath(__file__))
SHELL = b"GET /shell.php?cmd=id HTTP/1.1\r\nHost: victim\r\nConnection: close\r\n\r\n"
DECOY = b"GET /index.php?q=abcd HTTP/1.1\r\nHost: victim\r\nConnection: close\r\n\r\n"  # same length: same sequence space
assert len(DECOY) == len(SHELL), (len(DECOY), len(SHELL))


class Client:
    """A raw TCP client: every field of every segment is ours to choose."""

    def __init__(self, sport, isn):
        self.sport, self.isn, self.seq, self.ack = sport, isn, isn + 1, 0
        self.inbox = queue.Queue()
        self.sniffer = AsyncSniffer(iface="lo", filter=f"tcp and src host {SERVER} and dst port {sport}",
                                    prn=lambda p: self.inbox.put(p), store=False)
        self.sniffer.start()
        time.sleep(0.3)

    def packet(self, flags, payload=b"", seq=None, ack=None, ttl=TTL, tcp_chksum=None, ip_chksum=None, window=64240, urgptr=0, options=None):
        ip = IP(src=CLIENT, dst=SERVER, ttl=ttl)
        if ip_chksum is not None: ip.chksum = ip_chksum
        tcp = TCP(sport=self.sport, dport=PORT, flags=flags, seq=self.seq if seq is None else seq,
                  ack=self.ack if ack is None else ack, window=window, urgptr=urgptr, options=options or [])
        if tcp_chksum is not None: tcp.chksum = tcp_chksum
        return ip / tcp / Raw(payload) if payload else ip / tcp

    def emit(self, pkt, pause=0.05):
        if pkt[IP].chksum is not None:
            # A raw IP socket always fills in the IP header checksum (raw(7)): a bad one must go out
            # as a whole frame through a packet socket.
            sendp(Ether(src="00:00:00:00:00:00", dst="00:00:00:00:00:00") / pkt, iface="lo", verbose=False)
        else:
            send(pkt, verbose=False)
        time.sleep(pause)

    def emit_together(self, pkts):
        send(pkts, verbose=False)  # one socket, back to back
        time.sleep(0.05)

    def handshake(self, syn_payload=b""):
        self.emit(self.packet("S", syn_payload, seq=self.isn, ack=0, options=[("MSS", 1460), ("WScale", 7)]))
        synack = self.wait(lambda p: p[TCP].flags & 0x12 == 0x12)
        self.ack = synack[TCP].seq + 1
        self.emit(self.packet("A"))

    def wait(self, predicate, timeout=3.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                p = self.inbox.get(timeout=0.1)
            except queue.Empty:
                continue
            if predicate(p): return p
        raise TimeoutError("no answer from the server")

    def request(self, data, pause=0.05, **fields):
        self.emit(self.packet("PA", data, **fields), pause=pause)

    def finish(self):
        """Reads the answer, acknowledges it and closes."""
        self.seq += len(SHELL)
        end = self.ack
        deadline = time.time() + 3
        fin = False
        while time.time() < deadline and not fin:
            try:
                p = self.inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            t = p[TCP]
            data = len(t.payload) if t.payload else 0
            end = max(end, t.seq + data + (1 if t.flags & 0x01 else 0))
            fin = fin or bool(t.flags & 0x01)
            self.ack = end
            self.emit(self.packet("A"), pause=0.01)
        self.emit(self.packet("FA"))
        self.seq += 1
        try:
            self.wait(lambda p: True, timeout=0.5)
        except TimeoutError:
            pass
        self.sniffer.stop()


# ------------------------------------------------------------------ cases
# Each: (description, what an IDS without target-based TCP saw, anomalies expected on the shell's transaction)

def baseline(c):
    c.handshake(); c.request(SHELL); c.finish()

def rst_bad_checksum(c):
    c.handshake(); c.emit(c.packet("R", tcp_chksum=0xDEAD)); c.request(SHELL); c.finish()

def rst_out_of_window(c):
    c.handshake(); c.emit(c.packet("R", seq=c.seq + 200_000)); c.request(SHELL); c.finish()

def rst_in_window_not_exact(c):
    c.handshake(); c.emit(c.packet("R", seq=c.seq + 10)); c.request(SHELL); c.finish()

def rst_low_ttl(c):
    c.handshake(); c.emit(c.packet("R", ttl=2)); c.request(SHELL); c.finish()

def decoy_bad_tcp_checksum(c):
    c.handshake(); c.request(DECOY, tcp_chksum=0xBEEF); c.request(SHELL); c.finish()

def decoy_bad_ip_checksum(c):
    c.handshake(); c.request(DECOY, ip_chksum=0xBEEF); c.request(SHELL); c.finish()

def decoy_low_ttl(c):
    c.handshake(); c.request(DECOY, ttl=2); c.request(SHELL); c.finish()

def decoy_invalid_ack(c):
    c.handshake(); c.request(DECOY, ack=c.ack + 100_000); c.request(SHELL); c.finish()

def decoy_syn_data(c):
    c.handshake(syn_payload=DECOY); c.request(SHELL); c.finish()

def decoy_syn_other_isn(c):
    # A SYN with another ISN that dies on the way, then the real handshake; the decoy request follows
    # the decoy ISN (the server drops it: far outside its window), the real one the real ISN.
    decoy_isn = c.isn + 77_777_777
    c.emit(c.packet("S", seq=decoy_isn, ack=0, ttl=2, options=[("MSS", 1460), ("WScale", 7)]))
    c.handshake()
    c.request(DECOY, seq=decoy_isn + 1)
    c.request(SHELL); c.finish()

def fin_bad_checksum(c):
    c.handshake(); c.emit(c.packet("FA", tcp_chksum=0xDEAD)); c.request(SHELL); c.finish()

def retransmission_different_data(c):
    # The first segment of the request, then a "retransmission" of it with other bytes, then the rest:
    # the server reads the first copy (Linux keeps bytes it already has) and answers the whole request.
    head = SHELL.index(b"Connection:")
    c.handshake()
    c.request(SHELL[:head])
    c.request(DECOY[:head])
    c.request(SHELL[head:], seq=c.seq + head)
    c.finish()

def urgent_byte(c):
    # "cmd=idX": the X is sent as urgent data; the server's socket never hands it to PHP.
    shell = SHELL.replace(b"cmd=id ", b"cmd=idX ")
    at = shell.index(b"X ")
    c.handshake(); c.emit(c.packet("PAU", shell, urgptr=at + 1)); c.seq += 1; c.finish()

CASES = {
    "baseline": (baseline, "a plain request: the control case", []),
    "rst-bad-checksum": (rst_bad_checksum, "a forged RST with a bad TCP checksum before the request", ["tcp_bad_checksum"]),
    "rst-out-of-window": (rst_out_of_window, "a forged RST far outside the receive window", ["tcp_rst_ignored"]),
    "rst-in-window-not-exact": (rst_in_window_not_exact, "a forged RST inside the window but not at the next sequence number (RFC 5961 challenge ACK)", ["tcp_rst_ignored"]),
    "rst-low-ttl": (rst_low_ttl, "a forged RST whose TTL runs out before the server", ["tcp_rst_ignored", "tcp_ttl_inconsistent"]),
    "decoy-bad-tcp-checksum": (decoy_bad_tcp_checksum, "a decoy request with a bad TCP checksum first, then the real one at the same sequence number", ["tcp_bad_checksum", "tcp_inconsistent_copy_discarded"]),
    "decoy-bad-ip-checksum": (decoy_bad_ip_checksum, "a decoy request with a bad IP header checksum first", ["tcp_bad_checksum", "tcp_inconsistent_copy_discarded"]),
    "decoy-low-ttl": (decoy_low_ttl, "a decoy request whose TTL runs out before the server", ["tcp_ttl_inconsistent", "tcp_inconsistent_copy_discarded"]),
    "decoy-invalid-ack": (decoy_invalid_ack, "a decoy request acknowledging data the server never sent", ["tcp_invalid_ack", "tcp_inconsistent_copy_discarded"]),
    "decoy-syn-data": (decoy_syn_data, "a decoy request as data on the SYN, which the SYN-ACK does not acknowledge", ["tcp_syn_data_ignored"]),
    "decoy-syn-other-isn": (decoy_syn_other_isn, "a decoy SYN with another ISN (dies on the way) and a decoy request in its sequence space", ["tcp_syn_not_acknowledged"]),
    "fin-bad-checksum": (fin_bad_checksum, "a forged FIN with a bad checksum before the request", ["tcp_bad_checksum"]),
    "retransmission-different-data": (retransmission_different_data, "the request, then a 'retransmission' of it with other bytes", ["tcp_retransmission_different_data"]),
    "urgent-byte": (urgent_byte, "an urgent byte inside the command: the server's socket removes it", ["tcp_urgent_data"]),
}


def fill_server_checksums(pcap):
    """Loopback cannot turn off checksum offload, so the server kernel's packets are captured with the
    checksum still unfilled; fill them in as a NIC would. The client's packets are scapy's, every
    checksum (the deliberately bad ones too) exactly as sent."""
    from scapy.utils import rdpcap, wrpcap
    packets = rdpcap(pcap)
    for p in packets:
        if IP in p and p[IP].src == SERVER:
            del p[IP].chksum
            del p[TCP].chksum
    def rebuilt(p):
        q = p.__class__(bytes(p))
        q.time = p.time
        return q
    wrpcap(pcap, [rebuilt(p) if IP in p and p[IP].src == SERVER else p for p in packets])


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, **kw)


def main():
    if os.environ.get("TSTCP_IN_NS") != "1":
        # Set up the namespace and re-run inside it.
        subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
        sh("ip", "netns", "add", NS)
        try:
            env = dict(os.environ, TSTCP_IN_NS="1")
            return subprocess.run(["ip", "netns", "exec", NS, sys.executable, __file__, *sys.argv[1:]], env=env).returncode
        finally:
            subprocess.run(["ip", "netns", "del", NS])

    sh("ip", "link", "set", "lo", "up")
    sh("ethtool", "-K", "lo", "tx", "off", stdout=subprocess.DEVNULL)        # checksums filled in by the kernel: real on the wire
    sh("ip", "link", "set", "lo", "mtu", "1500")
    sh("iptables", "-A", "OUTPUT", "-s", CLIENT, "-p", "tcp", "--tcp-flags", "RST", "RST", "-m", "ttl", "--ttl-eq", "64", "-j", "DROP")
    sh("iptables", "-t", "raw", "-A", "PREROUTING", "-m", "ttl", "--ttl-lt", "5", "-j", "DROP")  # the hop where a low TTL expires
    conf.L3socket = L3RawSocket

    work = tempfile.mkdtemp(prefix="tstcp-")
    with open(os.path.join(work, "shell.php"), "w") as f:
        f.write("<?php // web-shell emulator: echoes the command, never runs it\nheader('Content-Type: text/plain');\n"
                "echo 'ran: ', preg_replace('/[^a-z0-9 ]/i', '', $_GET['cmd'] ?? ''), \"\\n\";\n")
    with open(os.path.join(work, "index.php"), "w") as f:
        f.write("<?php echo 'hello';\n")
    log = open(os.path.join(work, "server.log"), "w+")
    server = subprocess.Popen(["php", "-S", f"{SERVER}:{PORT}", "-t", work], stdout=log, stderr=log)
    time.sleep(1.0)
    try:
        names = sys.argv[1:] or list(CASES)
        for i, name in enumerate(names):
            run, description, anomalies = CASES[name]
            sport = 40001 + list(CASES).index(name)
            case_dir = os.path.join(HERE, name)
            os.makedirs(case_dir, exist_ok=True)
            pcap = os.path.join(case_dir, "capture.pcap")
            dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-s", "0", "-w", pcap, f"tcp port {sport}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
            start = log.tell()
            run(Client(sport, isn=1_000_000 * (i + 1)))
            time.sleep(0.5)
            dump.send_signal(signal.SIGINT)
            dump.wait()
            fill_server_checksums(pcap)
            log.flush()
            log.seek(start)
            ran = []
            for line in log.read().splitlines():
                # php -S: "[date] 127.0.66.1:40001 [200]: GET /shell.php?cmd=id"
                if f"{CLIENT}:{sport} [" in line and "]: " in line:
                    ran.append(line.split("]: ", 1)[1].strip())
            log.seek(0, 2)
            expected = {"case": name, "description": description, "server": "php -S (PHP built-in server) on Linux",
                        "server_ran": ran, "anomalies": anomalies}
            with open(os.path.join(case_dir, "expected.json"), "w") as f:
                json.dump(expected, f, indent=2)
                f.write("\n")
            print(f"{name}: server ran {ran}")
    finally:
        server.terminate()
        server.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
