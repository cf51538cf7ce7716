"""Writes the wiki's starting pages (one file per page, title = file name) into DIR."""
import os
import random
import sys

d = sys.argv[1]
r = random.Random(5)
topics = ["Backup policy", "Onboarding", "VPN setup", "Release process", "Incident response", "Coffee machine", "Office map",
          "Printer troubleshooting", "Code review guide", "Database maintenance", "On-call rota", "Travel expenses", "Glossary", "Main Page"]
words = "server backup release deploy review network storage laptop account password policy ticket meeting team schedule".split()
for t in topics:
    body = ["'''%s''' is maintained by the team.{{#if: x | | }}" % t]
    for sec in range(r.randint(3, 7)):
        body.append("\n== %s ==" % r.choice(words).title())
        body.append(" ".join(r.choice(words) for _ in range(r.randint(40, 120))) + ". See [[%s]].<ref>Internal memo %d.</ref>" % (r.choice(topics), r.randint(1, 99)))
        body.append("* " + "\n* ".join(r.choice(words) for _ in range(4)))
    body.append("\n== References ==\n<references />\n[[Category:%s]]" % r.choice(["Operations", "People", "Howto"]))
    with open(os.path.join(d, t.replace(" ", "_")), "w") as f:
        f.write("\n".join(body) + "\n")
