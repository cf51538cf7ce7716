"""A small HTTP/1.1 client for the lab's machine clients: bound to its own source address, with
keep-alive, a cookie jar, and the headers a given client kind sends (set per session).

Only the standard library: the lab must not depend on what pip has. Errors are logged, never fatal:
a machine client keeps going the way a real cron job or sync agent would."""
import gzip
import http.client
import random
import sys
import time
import urllib.parse
from http.cookies import SimpleCookie


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


class Session:
    def __init__(self, host, port, source, headers=None, timeout=30):
        self.host, self.port, self.source, self.timeout = host, port, source, timeout
        self.headers = dict(headers or {})
        self.cookies = {}
        self.conn = None
        self.last_used = 0.0

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout, source_address=(self.source, 0))

    def request(self, method, path, body=None, headers=None, form=None, keep=True):
        """Returns (status, headers, body bytes) or (0, {}, b'') on a network error."""
        h = dict(self.headers)
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        if isinstance(body, str):
            body = body.encode()
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        h.update(headers or {})
        if body is not None or method in ("POST", "PUT", "PATCH"):
            h.setdefault("Content-Length", str(len(body or b"")))
        # Servers close idle keep-alive connections (Apache after 5 s); a request written into a
        # connection the server is closing gets no answer. Real clients avoid that race the same way.
        if self.conn is not None and time.time() - self.last_used > 4:
            self.close()
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self._connect()
                # putrequest, not request(): request() adds "Accept-Encoding: identity", which
                # curl, Go and the other clients these sessions stand for do not send.
                self.conn.putrequest(method, path, skip_accept_encoding=True)
                for k, v in h.items():
                    self.conn.putheader(k, v)
                self.conn.endheaders(body)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.headers.get("Content-Encoding", "").lower() == "gzip" and data:
                    try:
                        data = gzip.decompress(data)
                    except OSError:
                        pass
                for v in resp.headers.get_all("Set-Cookie") or []:
                    c = SimpleCookie()
                    try:
                        c.load(v)
                    except Exception:
                        continue
                    for k, m in c.items():
                        if m.value in ("", "deleted"):
                            self.cookies.pop(k, None)
                        else:
                            self.cookies[k] = m.value
                if not keep or resp.headers.get("Connection", "").lower() == "close":
                    self.close()
                self.last_used = time.time()
                return resp.status, resp.headers, data
            except (http.client.HTTPException, OSError) as e:
                self.close()
                if attempt == 2:
                    log("ERROR", method, path, type(e).__name__, e)
        return 0, {}, b""

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run_until(seconds, seed, step, lo=2.0, hi=12.0):
    """Calls step(rng) until the time is up, sleeping lo..hi seconds (uniform) in between."""
    rng = random.Random(seed)
    deadline = time.time() + seconds
    n = 0
    while time.time() < deadline - 1:
        try:
            step(rng)
        except Exception as e:  # a bug in one step must not end the client
            log("ERROR", "step", type(e).__name__, e)
        n += 1
        time.sleep(max(0.0, min(rng.uniform(lo, hi), deadline - time.time())))
    log("finished", n, "rounds")


def args():
    """host port source seed seconds from argv."""
    host, port, source, seed, seconds = sys.argv[1:6]
    return host, int(port), source, int(seed), float(seconds)


def png(rng, width=None, height=None):
    """A real PNG (noisy gradient) so servers that check images accept it."""
    import struct
    import zlib
    w, h = width or rng.randint(40, 160), height or rng.randint(30, 120)
    rows = b"".join(b"\x00" + bytes((x * 3 + y + rng.getrandbits(5)) & 0xFF for x in range(w * 3)) for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def multipart(fields, files):
    """(body, content type) for a multipart/form-data POST; files: name -> (filename, type, bytes)."""
    import os
    boundary = "----WebKitFormBoundary" + os.urandom(8).hex()
    out = []
    for k, v in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    for k, (fn, ct, data) in files.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{fn}"\r\nContent-Type: {ct}\r\n\r\n'.encode() + data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"
