<%@ include file="/WEB-INF/lab/LabShell.jspf" %><%@ page import="java.util.concurrent.*" %><%!
// suo5 frames: [length:4 BE][xor key:1][map xor key]; map entries [key length:1][key][value length:4 BE][value].
static Map<String, byte[]> suo5Read(DataInputStream in) {
    try {
        int len = in.readInt();
        if (len < 0 || len > 1 << 20) return null;
        int x = in.readUnsignedByte();
        byte[] b = new byte[len];
        in.readFully(b);
        for (int i = 0; i < len; i++) b[i] ^= (byte) x;
        Map<String, byte[]> m = new HashMap<>();
        for (int i = 0; i < len;) {
            int kl = b[i] & 0xff;
            String k = new String(b, i + 1, kl, "ISO-8859-1");
            int vl = ((b[i + 1 + kl] & 0xff) << 24) | ((b[i + 2 + kl] & 0xff) << 16) | ((b[i + 3 + kl] & 0xff) << 8) | (b[i + 4 + kl] & 0xff);
            m.put(k, Arrays.copyOfRange(b, i + 5 + kl, i + 5 + kl + vl));
            i += 5 + kl + vl;
        }
        return m;
    } catch (Exception e) { return null; }
}

static void suo5Write(JspWriter out, String k1, byte[] v1, String k2, byte[] v2) throws IOException {
    ByteArrayOutputStream m = new ByteArrayOutputStream();
    for (Object[] kv : new Object[][] { { k1, v1 }, { k2, v2 } }) {
        if (kv[0] == null) continue;
        byte[] k = ((String) kv[0]).getBytes("ISO-8859-1"), v = (byte[]) kv[1];
        m.write(k.length); m.write(k);
        m.write(v.length >>> 24); m.write(v.length >>> 16); m.write(v.length >>> 8); m.write(v.length);
        m.write(v);
    }
    byte[] b = m.toByteArray();
    int x = 1 + new Random().nextInt(255);
    for (int i = 0; i < b.length; i++) b[i] ^= (byte) x;
    StringBuilder s = new StringBuilder();
    s.append((char) ((b.length >>> 24) & 0xff)).append((char) ((b.length >>> 16) & 0xff)).append((char) ((b.length >>> 8) & 0xff)).append((char) (b.length & 0xff)).append((char) x);
    out.write(s.toString());
    out.write(new String(b, "ISO-8859-1")); // the page's charset is ISO-8859-1: bytes pass unchanged
    out.flush();
}

static byte[] suo5Filler(int n) { byte[] b = new byte[n]; new Random().nextBytes(b); return b; }
%><%
// Emulates a suo5 tunnel page. It never opens a socket: "create" is answered ok with an SSH banner
// as the remote's first bytes, each "data" frame with filler of a similar size. Full duplex reads
// frames from the same chunked request it answers; half duplex streams the answer of the create
// request and takes data frames from short POSTs (kept in an application-scoped queue per id).
if (!"POST".equals(request.getMethod())) return;
DataInputStream in = new DataInputStream(request.getInputStream());
Map<String, byte[]> f = suo5Read(in);
if (f == null || !f.containsKey("ac") || !f.containsKey("id")) return;
@SuppressWarnings("unchecked")
ConcurrentHashMap<String, LinkedBlockingQueue<byte[]>> tunnels = (ConcurrentHashMap<String, LinkedBlockingQueue<byte[]>>) application.getAttribute("lab.suo5");
if (tunnels == null) { application.setAttribute("lab.suo5", new ConcurrentHashMap<String, LinkedBlockingQueue<byte[]>>()); tunnels = (ConcurrentHashMap<String, LinkedBlockingQueue<byte[]>>) application.getAttribute("lab.suo5"); }
String id = new String(f.get("id"), "ISO-8859-1");
int ac = f.get("ac")[0];
response.setContentType("application/octet-stream");
response.setCharacterEncoding("ISO-8859-1"); // Tomcat answers UTF-8 by default: bytes must pass unchanged
out.clear();
if (ac == 0) {
    boolean full = f.containsKey("m") && f.get("m").length > 0 && f.get("m")[0] == 0;
    LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
    if (!full) tunnels.put(id, queue);
    suo5Write(out, "s", new byte[] { 0 }, null, null);
    suo5Write(out, "ac", new byte[] { 1 }, "dt", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n".getBytes("ISO-8859-1"));
    try {
        while (true) {
            byte[] d;
            if (full) {
                Map<String, byte[]> g = suo5Read(in);
                if (g == null || !g.containsKey("ac") || g.get("ac")[0] != 1) break;
                d = suo5Filler(g.containsKey("dt") ? Math.max(8, g.get("dt").length + 16) : 32);
            } else {
                d = queue.poll(30, TimeUnit.SECONDS);
                if (d == null || d.length == 0) break;
            }
            suo5Write(out, "ac", new byte[] { 1 }, "dt", d);
        }
    } finally { tunnels.remove(id); }
    suo5Write(out, "ac", new byte[] { 2 }, null, null);
} else {
    LinkedBlockingQueue<byte[]> queue = tunnels.get(id);
    if (queue != null) queue.offer(ac == 1 && f.containsKey("dt") ? suo5Filler(f.get("dt").length + 16) : new byte[0]);
}
%>