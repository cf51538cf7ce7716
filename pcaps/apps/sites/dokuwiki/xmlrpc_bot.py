"""A DokuWiki sync bot on the XML-RPC remote API: logs in (session cookie), lists pages, reads
and rewrites pages with a summary, uploads attachments (base64 in the XML body), reads recent
changes - the way wiki bots and desktop editors talk to DokuWiki.
Usage: xmlrpc_bot.py HOST PORT SOURCE SEED SECONDS"""
import base64
import os
import time
import xmlrpc.client

from webclient import Session, args, log, png, run_until

host, port, source, seed, seconds = args()
s = Session(host, port, source, {"User-Agent": "DokuWikiSync/2.1 (python-xmlrpc)", "Accept": "text/xml"})
pages = ["start", "ops:runbook", "ops:backups", "ops:oncall", "dev:api", "dev:release-notes", "team:contacts", "howto:vpn"]


def call(method, *params):
    body = xmlrpc.client.dumps(params, method, encoding="utf-8")
    status, _, data = s.request("POST", "/lib/exe/xmlrpc.php", body=body, headers={"Content-Type": "text/xml"})
    if status != 200:
        log("ERROR", method, status)
        return None
    try:
        return xmlrpc.client.loads(data)[0][0]
    except xmlrpc.client.Fault as f:
        log("fault", method, f.faultString)
    except Exception as e:
        log("ERROR", method, type(e).__name__)
    return None


def login():
    return call("dokuwiki.login", "syncbot", "bot-secret-7731")


login()


def step(rng):
    r = rng.random()
    if r < 0.1:
        login()
    if r < 0.3:
        call("dokuwiki.getPagelist", rng.choice(["ops", "dev", "team", ""]), {"depth": 2})
        call("wiki.getRecentChanges", int(time.time()) - 86400)
    elif r < 0.6:
        page = rng.choice(pages)
        call("wiki.getPageInfo", page)
        call("wiki.getPage", page)
    elif r < 0.85:
        page = rng.choice(pages + ["bot:report-%d" % rng.randint(1, 5)])
        text = call("wiki.getPage", page) or "====== Report ======\n"
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        text += "\n  * sync %s: %d items, checksum %s\n" % (stamp, rng.randint(1, 400), os.urandom(8).hex())
        call("wiki.putPage", page, text, {"sum": "sync bot update %s" % stamp, "minor": rng.random() < 0.5})
    else:
        name = "bot:%s-%d.%s" % (rng.choice(["chart", "export", "log"]), rng.randint(1, 9), rng.choice(["png", "txt"]))
        if name.endswith(".png"):
            data = png(rng)
        else:
            data = ("".join("line %d value %f\n" % (i, rng.random()) for i in range(rng.randint(50, 500)))).encode()
        call("wiki.putAttachment", name, xmlrpc.client.Binary(data), {"ow": True})
        call("wiki.getAttachments", "bot", {})


run_until(seconds, seed, step, 4, 20)
