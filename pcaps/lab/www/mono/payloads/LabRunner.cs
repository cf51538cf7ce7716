// TrafficSensor lab: what every payload assembly runs commands through. The payloads never start a
// shell themselves: they hand the command to the lab's runner (run.sh's $work/lab-command, which
// runs `trafficsensor-lab run-command`, the lab's allow-list of harmless commands in the sandbox).
using System;
using System.Diagnostics;

static class LabRunner
{
    public static string Run(string command)
    {
        var runner = Environment.GetEnvironmentVariable("LAB_COMMAND_RUNNER");
        if (string.IsNullOrEmpty(runner)) return "lab: no command runner\n";
        var psi = new ProcessStartInfo(runner, "\"" + command.Replace("\"", "") + "\"")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using (var p = Process.Start(psi))
        {
            var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return output;
        }
    }

    /// <summary>The call's own arguments, patched into this string by the client (see ToolOperators.PatchArguments).</summary>
    public static System.Collections.Generic.Dictionary<string, string> Arguments(string patched)
    {
        var result = new System.Collections.Generic.Dictionary<string, string>();
        foreach (var pair in patched.Substring(patched.IndexOf(':') + 1).Trim().Split(';'))
        {
            var eq = pair.IndexOf('=');
            if (eq > 0) result[pair.Substring(0, eq)] = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(pair.Substring(eq + 1)));
        }
        return result;
    }
}
