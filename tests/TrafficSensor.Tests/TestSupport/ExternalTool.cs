using System.Diagnostics;

namespace TrafficSensor.Tests.TestSupport;

/// <summary>Runs a command-line tool (promtool, tshark, ...) and returns its exit code and output.</summary>
public static class ExternalTool
{
    /// <summary>Starts a tool with its output redirected; a tool that is not installed is a clear failure.</summary>
    public static Process Start(string tool, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, bool redirectInput = false)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        try
        {
            return Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{tool}' is not installed; ./run-tests (as root) installs what the tests need: {e.Message}", e);
        }
    }

    public static (int Code, string Out, string Err) Run(string tool, IEnumerable<string> args, string? workingDirectory = null, string? stdin = null, int timeoutSeconds = 120,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var p = Start(tool, args, workingDirectory, environment, redirectInput: stdin is not null);
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
