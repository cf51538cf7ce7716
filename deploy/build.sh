#!/usr/bin/env bash
# Publishes the sensor (framework-dependent, Release) with the bundled model into OUTDIR.
# One script for every way the sensor is shipped: the Dockerfile runs it, CI runs it and
# smoke-tests the result, and an appliance install is `deploy/build.sh /opt/trafficsensor`.
set -euo pipefail
out=${1:?usage: deploy/build.sh OUTDIR}
here=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Not trimmed and not AOT: ML.NET's model loading needs reflection (see models/README.md).
dotnet publish "$here/src/TrafficSensor.Cli/TrafficSensor.Cli.csproj" -c Release -o "$out" --nologo -v quiet \
    -p:UseAppHost=true -p:DebugType=none
install -m 0644 "$here/README.md" "$out/README.md"
test -x "$out/trafficsensor" && test -f "$out/models/default.zip" && test -f "$out/models/tls-default.zip"
echo "published to $out" >&2
