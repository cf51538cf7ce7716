using TrafficSensor.Features;

namespace TrafficSensor.Detection;

/// <summary>What an alerting transaction is most likely part of: an analyst triages these differently.</summary>
public enum AlertKind
{
    /// <summary>A web shell's command channel (a script that runs what its operator sends).</summary>
    WebShell,
    /// <summary>A web-shell tunnel (reGeorg, suo5): the server relays the operator's TCP connections.</summary>
    Tunnel,
    /// <summary>A backdoor in the server itself (an IIS/Apache module) triggered by a cookie or header on ordinary pages.</summary>
    BackdoorModule,
    /// <summary>Server-side code uploaded to the application: how a web shell arrives.</summary>
    CodeUpload,
    /// <summary>A client guessing paths (directory brute force, vulnerability scanners, web-shell stagers probing for a foothold).</summary>
    Scanner,
}

/// <summary>Files an alerting transaction under an <see cref="AlertKind"/> from its features and the family it resembles.</summary>
public static class AlertKinds
{
    private static readonly string[] TunnelFamilies = ["regeorg", "suo5", "neo-regeorg", "tunnel"];

    public static AlertKind Of(FeatureVector features, string? resembles)
    {
        var f = features.Values;
        bool Has(int index) => f[index] > 0;
        if (Has(FeatureIndex.UploadsServerCode)) return AlertKind.CodeUpload;
        if (Has(FeatureIndex.UnknownCookieName) && !Has(FeatureIndex.ScriptExtension)) return AlertKind.BackdoorModule;
        // A connect that names the host and port to open is a tunnel whatever it resembles.
        if (Has(FeatureIndex.NetworkTarget)) return AlertKind.Tunnel;
        var evidence = FeatureSchema.AnyOf(f, FeatureSchema.DirectEvidence);
        // The client has been refused on more distinct paths than a browsing user ever is.
        if (!evidence && Has(FeatureIndex.ClientErrorPaths)) return AlertKind.Scanner;
        // A tunnel relays bytes, it does not run commands: it needs the resemblance and a tunnel's shape
        // (bodiless or raw-binary POSTs, a control header, steady polling).
        if (!evidence && resembles is not null && TunnelFamilies.Any(t => resembles.StartsWith(t, StringComparison.OrdinalIgnoreCase))
            && (Has(FeatureIndex.EmptyPost) || Has(FeatureIndex.RequestBinary) || Has(FeatureIndex.UnusualHeaders) || Has(FeatureIndex.SessionIntervalRegularity)
                || Has(FeatureIndex.OpaquePostThread))) return AlertKind.Tunnel;
        return AlertKind.WebShell;
    }

    /// <summary>Whether the transaction carries evidence of a web shell that holds on any site.</summary>
    public static bool HasDirectEvidence(FeatureVector features) => FeatureSchema.AnyOf(features.Values, FeatureSchema.DirectEvidence);
}
