"""A WebDAV sync agent (the way rclone, Nextcloud-style desktop clients and davfs2 talk):
PROPFIND to list, GET (some with Range), PUT of binary and text files, MKCOL, MOVE/COPY with
Destination/Overwrite, LOCK/PUT/UNLOCK with the lock token in If:, PROPPATCH, DELETE, OPTIONS,
and a poll of the server's PHP status page.
Usage: sync_agent.py HOST PORT SOURCE SEED SECONDS USER PASSWORD"""
import base64
import os
import re
import sys

from webclient import Session, args, log, png, run_until

host, port, source, seed, seconds = args()
user, password = sys.argv[6], sys.argv[7]
auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
s = Session(host, port, source, {"User-Agent": "rclone/v1.60.1", "Authorization": auth, "Accept-Encoding": "gzip"})
home = f"/dav/home/{user}/"
PROPFIND = ('<?xml version="1.0" encoding="utf-8"?>\n<D:propfind xmlns:D="DAV:"><D:prop><D:getlastmodified/>'
            '<D:getcontentlength/><D:resourcetype/><D:getetag/></D:prop></D:propfind>')


def listing(path, depth="1"):
    status, _, body = s.request("PROPFIND", path, body=PROPFIND, headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"})
    return status, re.findall(rb"<D:href>([^<]+)</D:href>", body)


def step(rng):
    r = rng.random()
    if r < 0.3:
        for path in (home, "/dav/shared/", "/dav/shared/projects/"):
            status, hrefs = listing(path)
            log("PROPFIND", path, status, len(hrefs))
        files = [h.decode() for h in listing(home)[1] if not h.endswith(b"/")]
        if files:
            f = rng.choice(files)
            hdr = {"Range": "bytes=0-%d" % rng.randint(100, 4000)} if rng.random() < 0.3 else {}
            s.request("GET", f, headers=hdr)
    elif r < 0.6:
        name = home + rng.choice(["scan-%d.png", "backup-%d.bin", "notes-%d.md"]) % rng.randint(1, 30)
        if name.endswith(".png"):
            data, ct = png(rng), "image/png"
        elif name.endswith(".bin"):
            data, ct = os.urandom(rng.randint(1000, 120000)), "application/octet-stream"
        else:
            data, ct = ("# notes\n" + "".join(f"- item {i}: {rng.random():.6f}\n" for i in range(rng.randint(5, 200)))).encode(), "text/markdown"
        status, _, _ = s.request("PUT", name, body=data, headers={"Content-Type": ct, "X-OC-Mtime": str(rng.randint(1700000000, 1760000000))})
        log("PUT", name, len(data), status)
        s.request("PROPFIND", name, body=PROPFIND, headers={"Depth": "0", "Content-Type": "application/xml; charset=utf-8"})
    elif r < 0.75:
        d = home + "folder-%d/" % rng.randint(1, 5)
        s.request("MKCOL", d)
        src = home + "move-src-%d.txt" % rng.randint(1, 99)
        s.request("PUT", src, body=os.urandom(64).hex(), headers={"Content-Type": "text/plain"})
        dest = f"http://{host}{d}moved-{rng.randint(1, 99)}.txt"
        s.request(rng.choice(["MOVE", "COPY"]), src, headers={"Destination": dest, "Overwrite": "T"})
        if rng.random() < 0.5:
            s.request("DELETE", d)
    elif r < 0.9:
        f = home + "shared-doc-%d.odt" % rng.randint(1, 3)
        lock = ('<?xml version="1.0" encoding="utf-8"?>\n<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>'
                f'<D:locktype><D:write/></D:locktype><D:owner><D:href>{user}</D:href></D:owner></D:lockinfo>')
        status, headers, _ = s.request("LOCK", f, body=lock, headers={"Timeout": "Second-600", "Depth": "0", "Content-Type": "application/xml"})
        token = headers.get("Lock-Token", "") if status in (200, 201) else ""
        if token:
            s.request("PUT", f, body=b"PK\x03\x04" + os.urandom(rng.randint(3000, 30000)),
                      headers={"If": f"({token})", "Content-Type": "application/vnd.oasis.opendocument.text"})
            s.request("PROPPATCH", f, body=('<?xml version="1.0" encoding="utf-8"?>\n<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:lab:">'
                                           f'<D:set><D:prop><Z:author>{user}</Z:author></D:prop></D:set></D:propertyupdate>'),
                      headers={"If": f"({token})", "Content-Type": "application/xml"})
            s.request("UNLOCK", f, headers={"Lock-Token": token})
        log("LOCK", f, status)
    else:
        s.request("OPTIONS", home)
        s.request("GET", "/status.php", headers={"Accept": "application/json"})
        s.request("HEAD", "/dav/shared/photos/IMG_0001.jpg")


run_until(seconds, seed, step, 3, 15)
