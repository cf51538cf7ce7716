<%@ include file="/WEB-INF/lab/LabShell.jspf" %><%
// Emulates Godzilla's JAVA_AES_RAW shell: the whole body is AES-128-ECB(data), the answer the raw
// AES(gzip(result)). The payload class is only remembered in the session, never loaded.
byte[] key = "3c6e0b8a9c15224a".getBytes("ISO-8859-1");
Cipher c = Cipher.getInstance("AES/ECB/PKCS5Padding");
byte[] data;
try { c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES")); data = c.doFinal(request.getInputStream().readAllBytes()); }
catch (Exception e) { return; }
if (session.getAttribute("payload") == null) {
    if (data.length > 4 && (data[0] & 0xff) == 0xCA && (data[1] & 0xff) == 0xFE) session.setAttribute("payload", Boolean.TRUE);
    return;
}
String result = labGodzilla(labGunzip(data));
c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
out.clear();
response.setCharacterEncoding("ISO-8859-1"); // Tomcat answers UTF-8 by default: bytes must pass unchanged
out.write(new String(c.doFinal(labGzip(result.getBytes("UTF-8"))), "ISO-8859-1")); // the page's charset is ISO-8859-1: bytes pass unchanged
%>