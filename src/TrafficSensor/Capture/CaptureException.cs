namespace TrafficSensor.Capture;

/// <summary>A capture source cannot be used at all (missing libpcap, unreadable file, bad filter, missing interface).</summary>
public sealed class CaptureException(string message, Exception? inner = null) : Exception(message, inner);

internal static class LibpcapGuard
{
    public const string InstallHint =
        "libpcap is not installed or cannot be loaded; on Debian/Ubuntu run: sudo apt-get install libpcap0.8";

    /// <summary>
    /// SharpPcap loads libpcap lazily and reports its absence as a DllNotFoundException naming "wpcap",
    /// sometimes wrapped in a TypeInitializationException; turn either into one actionable message.
    /// </summary>
    public static T Run<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsMissingLibrary(e))
        {
            throw new CaptureException(InstallHint, e);
        }
    }

    private static bool IsMissingLibrary(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
                return true;
        }
        return false;
    }
}
