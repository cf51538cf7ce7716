using System.Diagnostics;

namespace TrafficSensor.Tests.TestSupport;

/// <summary>Runs a command-line tool (promtool, tshark, ...) and returns its exit code and output.</summary>
public static class ExternalTool
{
    public static (int Code, string Out, string Err) Run(string tool, IEnumerable<string> args, string? workingDirectory = null, string? stdin = null, int timeoutSeconds = 120,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{tool}' is not installed; ./run-tests (as root) installs what the tests need: {e.Message}", e);
        }
        using (p)
        {
            if (stdin is not null)
            {
                p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(timeoutSeconds * 1000))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{tool} did not finish in {timeoutSeconds} s");
            }
            return (p.ExitCode, output.Result, err.Result);
        }
    }
}
