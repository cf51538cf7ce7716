<%@ page trimDirectiveWhitespaces="true" import="java.io.*,java.nio.file.*,java.util.regex.*" %><%
// The lab's deliberately vulnerable uploader for Tomcat (the examples and the ERP on :7001). It accepts a multipart upload into any
// directory of the web application, as the real bugs do, but writes the lab's EMULATOR of the web
// shell it recognises in the upload, never the bytes that were sent. Anything else is refused.
String body = new String(request.getInputStream().readAllBytes(), "ISO-8859-1");
Matcher dirM = Pattern.compile("name=\"?dir\"?[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)").matcher(body);
Matcher fileM = Pattern.compile("filename=\"?([^\";\r\n]+)").matcher(body);
if (!dirM.find() || !fileM.find()) { response.setStatus(400); out.print("bad upload"); return; }
String family = body.contains("e45e329feb5d925b") ? "behinder" : body.contains("Georg says") ? "regeorg"
    : body.contains("suo5 tunnel") ? "suo5"
    : body.contains("godzilla base64Decode(request.getParameter(pass))") ? "godzilla_java"
    : body.contains("godzilla request.getInputStream() raw") ? "godzilla_java_raw" : null;
String dir = dirM.group(1).replaceFirst("^" + request.getContextPath(), "");
String name = new File(fileM.group(1)).getName();
if (family == null || !dir.matches("(/[A-Za-z0-9_.-]+)*") || !name.matches("[A-Za-z0-9_.-]+\\.jsp")) { response.setStatus(403); out.print("refused"); return; }
File target = new File(application.getRealPath(dir), name);
target.getParentFile().mkdirs();
Files.copy(Paths.get(System.getProperty("lab.emulators"), family + ".jsp"), target.toPath(), StandardCopyOption.REPLACE_EXISTING);
out.print("<html><body>File uploaded: " + name + "</body></html>");
%>
