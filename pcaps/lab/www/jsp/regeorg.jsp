<%@ include file="/WEB-INF/lab/LabShell.jspf" %><%
// Emulates a reGeorg tunnel.jsp: X-CMD CONNECT/READ/FORWARD/DISCONNECT answered with X-STATUS headers.
// No socket is ever opened: READ returns the first bytes an SSH server would send, once, then nothing.
String cmd = request.getHeader("X-CMD");
if (cmd == null) { out.print("Georg says, 'All seems fine'"); return; }
cmd = cmd.toUpperCase();
if (cmd.equals("CONNECT")) {
    session.setAttribute("run", Boolean.TRUE);
    session.setAttribute("banner", Boolean.FALSE);
    response.setHeader("X-STATUS", "OK");
} else if (cmd.equals("DISCONNECT")) {
    session.removeAttribute("run");
    response.setHeader("X-STATUS", "OK");
} else if (session.getAttribute("run") == null) {
    response.setHeader("X-STATUS", "FAIL");
    response.setHeader("X-ERROR", "The socket is not connected");
} else if (cmd.equals("READ")) {
    response.setHeader("X-STATUS", "OK");
    if (Boolean.FALSE.equals(session.getAttribute("banner"))) {
        session.setAttribute("banner", Boolean.TRUE);
        out.clear();
        out.write("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
        return;
    }
} else if (cmd.equals("FORWARD")) {
    request.getInputStream().readAllBytes();
    response.setHeader("X-STATUS", "OK");
} else {
    response.setHeader("X-STATUS", "FAIL");
}
%>
