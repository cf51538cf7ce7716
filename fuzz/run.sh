#!/usr/bin/env bash
# Fuzzes the sensor's decoder, IP defragmenter, TCP reassembler and HTTP parser with AFL++ and SharpFuzz.
#   fuzz/run.sh TARGET [SECONDS]      TARGET: http | packets | tls; SECONDS: stop after this long (default 600)
# Needs afl++ (apt-get install afl++). Findings land in fuzz/findings/TARGET/ (not committed);
# copy crashes and new interesting inputs to fuzz/corpus/TARGET/, which the test suite replays.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="${1:?usage: fuzz/run.sh http|packets|tls [SECONDS]}"
seconds="${2:-600}"
command -v afl-fuzz >/dev/null || { echo "fuzz/run.sh: apt-get install afl++" >&2; exit 3; }

tools="$here/.tools"
[ -x "$tools/sharpfuzz" ] || dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0 >&2
out="$here/.build"
rm -rf "$out"
dotnet publish "$here/TrafficSensor.Fuzz" -c Release -o "$out" --nologo >&2
# Instrument only the sensor's own assembly: coverage of the code under test, not of the runtime.
"$tools/sharpfuzz" "$out/TrafficSensor.Core.dll" >&2

mkdir -p "$here/findings"
# The target is the dotnet host: coverage comes from the instrumented assembly, which AFL cannot see in the binary.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
exec afl-fuzz -V "$seconds" -i "$here/corpus/$target" -o "$here/findings/$target" -t 5000 -m none \
    -x "$here/http.dict" -- dotnet "$out/TrafficSensor.Fuzz.dll" "$target"
