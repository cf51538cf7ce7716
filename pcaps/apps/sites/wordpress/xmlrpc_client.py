"""A desktop/mobile blogging client on XML-RPC (the MetaWeblog and wp.* APIs, as Windows Live
Writer, MarsEdit and the old mobile apps use them): lists blogs and posts, posts drafts, uploads
media as base64 (metaWeblog.newMediaObject), reads comments and options.
Usage: xmlrpc_client.py HOST PORT SOURCE SEED SECONDS"""
import time
import xmlrpc.client

from webclient import Session, args, log, png, run_until

host, port, source, seed, seconds = args()
s = Session(host, port, source, {"User-Agent": "MarsEdit/5.0.2 (Mac OS X 14.2)", "Accept": "*/*"})
user, pw = "carol", "pw-carol-2024"


def call(method, *params):
    status, _, data = s.request("POST", "/xmlrpc.php", body=xmlrpc.client.dumps(params, method, encoding="UTF-8"),
                                headers={"Content-Type": "text/xml"})
    try:
        return xmlrpc.client.loads(data)[0][0]
    except xmlrpc.client.Fault as f:
        log("fault", method, f.faultCode, f.faultString)
    except Exception as e:
        log("ERROR", method, status, type(e).__name__)
    return None


def step(rng):
    r = rng.random()
    if r < 0.25:
        call("wp.getUsersBlogs", user, pw)
        call("wp.getPosts", 1, user, pw, {"number": rng.choice([10, 20]), "post_status": "publish"}, ["post_id", "post_title", "post_modified"])
    elif r < 0.5:
        post_id = call("wp.newPost", 1, user, pw, {"post_title": "Field notes %s" % time.strftime("%d %b %H:%M"), "post_status": rng.choice(["draft", "publish"]),
                                                   "post_content": "<p>Written offline, synced at %s. Item %d.</p>" % (time.strftime("%H:%M"), rng.randint(1, 500)),
                                                   "terms_names": {"post_tag": ["offline", rng.choice(["travel", "ops"])]}})
        if post_id:
            call("wp.getPost", 1, user, pw, int(post_id))
    elif r < 0.75:
        data = png(rng, rng.randint(200, 500), rng.randint(150, 400))
        call("metaWeblog.newMediaObject", 1, user, pw, {"name": "photo-%d.png" % rng.randint(1, 9999), "type": "image/png",
                                                        "bits": xmlrpc.client.Binary(data), "overwrite": False})
    elif r < 0.9:
        call("wp.getComments", 1, user, pw, {"number": 10})
        call("wp.getCommentCount", 1, user, pw)
    else:
        call("wp.getOptions", 1, user, pw, ["blog_title", "time_zone", "software_version"])
        call("system.listMethods")


run_until(seconds, seed, step, 8, 30)
