"""Fills each user's Maildir with a few dozen plausible messages (some with attachments)."""
import base64
import os
import random
import sys
import time

root = sys.argv[1]
r = random.Random(3)
users = "alice bob carol dave erin frank grace heidi".split()
subjects = ["Re: quarterly report", "Lunch on Friday?", "Build failed: main #%d", "Invoice %d", "Meeting notes", "Password reset for your account",
            "Your order has shipped", "Re: VPN access", "Holiday schedule", "[team] standup moved", "Fwd: contract draft", "Weekly metrics"]
for u in users:
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, u, sub), exist_ok=True)
    for i in range(r.randint(25, 45)):
        sender = r.choice(users + ["noreply", "billing", "ci"])
        subj = r.choice(subjects).replace("%d", str(r.randint(100, 9999)))
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(time.time() - r.randint(0, 40 * 86400)))
        body = "Hi %s,\n\n%s\n\nBest,\n%s\n" % (u.title(), " ".join(r.choice("please see the attached file numbers look fine we should meet next week about the plan".split()) for _ in range(r.randint(20, 120))), sender.title())
        msg = "From: %s <%s@team.example>\r\nTo: %s@team.example\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%d.%s@team.example>\r\nMIME-Version: 1.0\r\n" % (sender.title(), sender, u, subj, date, i, u)
        if r.random() < 0.25:
            att = base64.encodebytes(os.urandom(r.randint(2000, 20000))).decode().replace("\n", "\r\n")
            msg += ('Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n'
                    '--b1\r\nContent-Type: application/pdf; name="doc%d.pdf"\r\nContent-Disposition: attachment; filename="doc%d.pdf"\r\n'
                    'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b1--\r\n') % (body.replace("\n", "\r\n"), i, i, att)
        else:
            msg += "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace("\n", "\r\n")
        folder = "cur" if r.random() < 0.7 else "new"
        name = "%d.M%dP%d.lab%s" % (time.time() - i, i, os.getpid(), ":2,S" if folder == "cur" else "")
        with open(os.path.join(root, u, folder, name), "w") as f:
            f.write(msg)
