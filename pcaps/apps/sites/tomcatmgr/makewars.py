"""Builds the small JSP web applications (.war = zip) that the deploy pipeline pushes to Tomcat."""
import sys, zipfile
out = sys.argv[1]
WEBXML = """<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <display-name>%s</display-name>
  <welcome-file-list><welcome-file>index.jsp</welcome-file></welcome-file-list>
</web-app>
"""
INDEX = """<%%@ page contentType="text/html; charset=UTF-8" %%>
<!doctype html><html><head><title>%(name)s %(ver)s</title></head><body>
<h1>%(name)s</h1><p>Build %(ver)s on <%%= application.getServerInfo() %%>.</p>
<p>Session: <%%= session.getId().substring(0, 8) %%>, visits: <%%
Integer n = (Integer) session.getAttribute("n"); n = n == null ? 1 : n + 1; session.setAttribute("n", n); out.print(n); %%></p>
<form action="search.jsp"><input name="q"><button>Search</button></form>
<ul><li><a href="status.jsp">status</a></li><li><a href="search.jsp?q=widget&amp;page=2">widgets</a></li></ul>
</body></html>
"""
SEARCH = """<%%@ page contentType="text/html; charset=UTF-8" import="java.util.*" %%>
<%% String q = request.getParameter("q"); if (q == null) q = ""; q = q.replaceAll("[^A-Za-z0-9 ]", ""); %%>
<!doctype html><html><body><h1>Results for <%%= q %%></h1><ol>
<%% for (int i = 0; i < 5 + q.length() %% 7; i++) { %%><li><%%= q %%> item <%%= i %%> (%(name)s)</li><%% } %%></ol></body></html>
"""
STATUS = """<%%@ page contentType="application/json; charset=UTF-8" %%>{"app":"%(name)s","version":"%(ver)s","free":<%%= Runtime.getRuntime().freeMemory() %%>}"""
for name in ["inventory", "reports", "hello", "billing"]:
    for ver in ["1.0.3", "1.1.0"]:
        with zipfile.ZipFile(f"{out}/{name}-{ver}.war", "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("META-INF/MANIFEST.MF", f"Manifest-Version: 1.0\nImplementation-Title: {name}\nImplementation-Version: {ver}\n")
            z.writestr("WEB-INF/web.xml", WEBXML % name)
            z.writestr("index.jsp", INDEX % {"name": name, "ver": ver})
            z.writestr("search.jsp", SEARCH % {"name": name, "ver": ver})
            z.writestr("status.jsp", STATUS % {"name": name, "ver": ver})
            z.writestr("static/app.css", "body{font-family:sans-serif}\n" * 40)
