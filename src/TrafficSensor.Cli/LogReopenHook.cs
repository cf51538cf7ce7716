using System.Runtime.InteropServices;

namespace TrafficSensor.Cli;

/// <summary>
/// SIGHUP reopens the log files (what logrotate's <c>postrotate kill -HUP</c> expects, as for Suricata):
/// buffered records go to the renamed file, later ones to a new file at the configured path. The
/// sensor keeps running; without this handler SIGHUP would terminate it without draining.
/// Kept to this one job: other SIGHUP duties (e.g. reloading a model) register their own handler.
/// </summary>
internal sealed class LogReopenHook : IDisposable
{
    private readonly PosixSignalRegistration _registration;

    public LogReopenHook(SensorOutputs outputs, bool quiet)
    {
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // keep running
            try
            {
                outputs.ReopenLogs();
                if (!quiet) Console.Info("SIGHUP: log files reopened");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The old file stays open and keeps receiving records: nothing is lost.
                Console.Warn($"SIGHUP: cannot reopen the log files, still writing to the old ones: {e.Message}");
            }
        });
    }

    public void Dispose() => _registration.Dispose();
}
