using SharpFuzz;
using TrafficSensor.Fuzz;

// Usage: TrafficSensor.Fuzz TARGET            (under afl-fuzz: reads inputs through SharpFuzz)
//        TrafficSensor.Fuzz TARGET FILE...    (replays inputs once each, e.g. a crash AFL found)
if (args.Length == 0 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: TrafficSensor.Fuzz {string.Join('|', FuzzTargets.Names)} [FILE...]");
    return 1;
}
var target = args[0];
if (args.Length > 1)
{
    foreach (var file in args[1..])
    {
        FuzzTargets.Run(target, File.ReadAllBytes(file));
        Console.WriteLine("ok " + file);
    }
    return 0;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    FuzzTargets.Run(target, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
});
return 0;
