<%@ include file="/WEB-INF/lab/LabShell.jspf" %><%
// Emulates Godzilla's JAVA_AES_BASE64 shell: PASS=base64(AES-128-ECB(data)) with key md5(key)[0:16];
// the parameter whose value decrypts is the password (its name is the operator's choice). The
// first call's payload class is only remembered in the session, never loaded; later calls carry
// gzip'd parameters. Answer: MD5(pass+key)[0:16] . base64(AES(gzip(result))) . MD5[16:], upper-case.
byte[] key = "3c6e0b8a9c15224a".getBytes("ISO-8859-1");
Cipher c = Cipher.getInstance("AES/ECB/PKCS5Padding");
String pass = null;
byte[] data = null;
for (Enumeration<String> names = request.getParameterNames(); names.hasMoreElements() && data == null;) {
    String name = names.nextElement();
    try { c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES")); data = c.doFinal(Base64.getDecoder().decode(request.getParameter(name))); pass = name; }
    catch (Exception e) { data = null; }
}
if (data == null) return;
if (session.getAttribute("payload") == null) {
    if (data.length > 4 && (data[0] & 0xff) == 0xCA && (data[1] & 0xff) == 0xFE) session.setAttribute("payload", Boolean.TRUE);
    return;
}
String result = labGodzilla(labGunzip(data));
c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
String md5 = labMd5Upper(pass + "3c6e0b8a9c15224a");
out.clear();
out.print(md5.substring(0, 16) + Base64.getEncoder().encodeToString(c.doFinal(labGzip(result.getBytes("UTF-8")))) + md5.substring(16));
%>