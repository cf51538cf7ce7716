using System.Diagnostics;
using System.Runtime.InteropServices;
using SharpPcap;
using SharpPcap.LibPcap;

namespace TrafficSensor.Capture;

/// <summary>A capture device as libpcap lists it.</summary>
public sealed record CaptureInterface(string Name, string? Description, IReadOnlyList<string> Addresses, bool IsUp, bool IsLoopback);

/// <summary>
/// libpcap's own counters for a live capture (pcap_stats): packets that passed the filter, packets
/// the kernel dropped because the ring buffer was full, and packets the interface dropped.
/// </summary>
public readonly record struct LiveCaptureCounters(long Received, long KernelDropped, long InterfaceDropped);

/// <summary>
/// Captures frames from a network interface through libpcap. A capture thread of its own only copies
/// each frame out of libpcap's ring into pooled batches (no decoding, no allocation per frame) and
/// hands them to the thread that called <see cref="Run"/>, which gives them to the frame handler
/// (decoding and the rest). So the ring is emptied at the pace of a copy, and the decoding side
/// can fall behind for as long as the hand-off (capture.handoff_megabytes) and then the kernel's
/// ring (capture.buffer_megabytes) absorb; beyond that the kernel drops and counts. The handler is
/// also ticked with the wall clock about ten times a second, even on a silent link (flows expire,
/// partial batches reach the workers), and a stop request is seen within a tenth of a second.
/// </summary>
public sealed class LiveCapture : IDisposable
{
    private const int IdleWaitMilliseconds = 100;
    /// <summary>How long a stop may spend reading what the kernel already buffered.</summary>
    private const int DrainLimitSeconds = 10;
    private const uint PcapIfUp = 0x2; // PCAP_IF_UP in pcap.h
    private static readonly long TickIntervalTicks = Stopwatch.Frequency / 10;
    /// <summary>Bytes of frames per hand-off batch: a few milliseconds of a busy link, one lock each.</summary>
    internal const int BatchBytes = 1 << 20;
    private const int BatchFrames = 8192;

    private readonly LibPcapLiveDevice _device;
    private readonly CaptureOptions _options;
    // Written by the thread reading libpcap (the capture thread, or the caller's without a hand-off); read by any.
    private long _received, _kernelDropped, _interfaceDropped;
    private volatile bool _running;

    private LiveCapture(LibPcapLiveDevice device, LinkType linkType, CaptureOptions options)
    {
        _device = device;
        LinkType = linkType;
        _options = options;
    }

    public string Interface => _options.Interface ?? "";
    public LinkType LinkType { get; }
    /// <summary>True while <see cref="Run"/> is reading packets (exported as a health metric).</summary>
    public bool IsRunning => _running;

    /// <summary>libpcap's counters, refreshed by the capture thread about ten times a second.</summary>
    public LiveCaptureCounters Counters => new(Interlocked.Read(ref _received), Interlocked.Read(ref _kernelDropped), Interlocked.Read(ref _interfaceDropped));

    public static IReadOnlyList<CaptureInterface> ListInterfaces() => LibpcapGuard.Run(() =>
        LibPcapLiveDeviceList.New()
            .Select(d => new CaptureInterface(
                d.Name,
                string.IsNullOrWhiteSpace(d.Description) ? null : d.Description,
                d.Addresses.Select(a => a.Addr?.ipAddress?.ToString()).OfType<string>().ToList(),
                (d.Flags & PcapIfUp) != 0,
                d.Loopback))
            .ToList());

    /// <summary>Opens the interface. Throws <see cref="CaptureException"/> with an actionable message when it cannot.</summary>
    public static LiveCapture Open(CaptureOptions options)
    {
        if (string.IsNullOrEmpty(options.Interface)) throw new CaptureException("no capture interface given");
        var device = LibpcapGuard.Run(() => LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == options.Interface));
        if (device is null)
        {
            var names = ListInterfaces().Select(i => i.Name);
            throw new CaptureException($"no capture interface named '{options.Interface}' (available: {string.Join(", ", names)}; see 'trafficsensor interfaces')");
        }

        try
        {
            var configuration = new DeviceConfiguration
            {
                Mode = options.Promiscuous ? DeviceModes.Promiscuous : DeviceModes.None,
                // With TPACKET_V3 (libpcap's default on Linux) the timeout retires a partly filled ring
                // block: it bounds how long a packet of a quiet link waits before the sensor sees it.
                ReadTimeout = (int)Math.Clamp(options.BufferTimeout.TotalMilliseconds, 1, 10_000),
                Snaplen = options.Snaplen,
                BufferSize = checked((int)Math.Min(int.MaxValue, (long)options.BufferMegabytes << 20)),
                // Immediate mode makes libpcap use TPACKET_V2: one fixed-size slot (snaplen) per packet.
                Immediate = options.ImmediateMode ? true : null,
            };
            string? refused = null;
            configuration.ConfigurationFailed += (_, e) => refused ??= $"{e.Property}: {e.Message}";
            device.Open(configuration);
            if (refused is not null) throw new CaptureException($"libpcap refused a setting ({refused})");
        }
        catch (Exception e)
        {
            device.Dispose();
            var hint = e.Message.Contains("ermission", StringComparison.Ordinal) || e.Message.Contains("not permitted", StringComparison.Ordinal)
                ? " (live capture needs root or the CAP_NET_RAW capability, plus CAP_NET_ADMIN for promiscuous mode)"
                : "";
            throw new CaptureException($"cannot capture on '{options.Interface}': {e.Message}{hint}", e);
        }

        if (PcapFileReader.FromDataLinkType((int)device.LinkType) is not { } linkType)
        {
            device.Dispose();
            throw new CaptureException($"interface '{options.Interface}' has unsupported link type {(int)device.LinkType} ({device.LinkType})");
        }

        if (!string.IsNullOrWhiteSpace(options.Bpf))
        {
            try
            {
                device.Filter = options.Bpf;
            }
            catch (Exception e)
            {
                device.Dispose();
                throw new CaptureException($"invalid BPF filter '{options.Bpf}': {e.Message}", e);
            }
        }

        try
        {
            // Non-blocking, with our own poll(2): with TPACKET_V3 libpcap's blocking read never times
            // out on a silent link, which would miss stop requests and ticks.
            device.NonBlockingMode = true;
        }
        catch (Exception e)
        {
            device.Dispose();
            throw new CaptureException($"cannot capture on '{options.Interface}': {e.Message}", e);
        }

        var capture = new LiveCapture(device, linkType, options);
        return capture;
    }

    /// <summary>
    /// Reads until <paramref name="cancel"/> is signalled or the device fails, giving every frame to
    /// <paramref name="handler"/> on the calling thread. Returns the device's error when capture
    /// stopped on its own (interface removed, ...), null after a normal stop.
    /// </summary>
    public string? Run(IFrameHandler handler, CancellationToken cancel)
    {
        _running = true;
        var handle = _device.Handle;
        var addedRef = false;
        try
        {
            // Held for the whole run: the raw handle given to libpcap must not be closed under it.
            handle.DangerousAddRef(ref addedRef);
            var pcap = handle.DangerousGetHandle();
            var fd = LibpcapNative.SelectableFd(pcap);
            var batchBytes = Math.Max(BatchBytes, _options.Snaplen);
            if (_options.HandoffMegabytes <= 0)
                return ReadIntoBatches(pcap, fd, new InlineDelivery(handler, LinkType, batchBytes), cancel);

            var exchange = new FrameBatchExchange(batchBytes, BatchFrames,
                (int)Math.Max(2, ((long)_options.HandoffMegabytes << 20) / batchBytes));
            string? error = null;
            Exception? failure = null;
            var capture = new Thread(() =>
            {
                try
                {
                    error = ReadIntoBatches(pcap, fd, exchange, cancel);
                }
                catch (Exception e)
                {
                    failure = e; // surfaced on the calling thread, as an inline read would
                }
            }) { IsBackground = true, Name = "capture" };
            capture.Start();
            try
            {
                while (exchange.Take(out var batch))
                {
                    Deliver(batch, handler, LinkType);
                    exchange.Return(batch);
                }
            }
            catch
            {
                exchange.Abandon();
                throw;
            }
            finally
            {
                capture.Join();
            }
            if (failure is not null) throw new CaptureException("capture thread failed: " + failure.Message, failure);
            return error;
        }
        finally
        {
            if (addedRef) handle.DangerousRelease();
            _running = false;
        }
    }

    private static void Deliver(CapturedFrameBatch batch, IFrameHandler handler, LinkType linkType)
    {
        for (var i = 0; i < batch.Count; i++) handler.OnFrame(batch.Frame(i, linkType));
        if (batch.TickMicros is { } tick) handler.OnTick(tick);
    }

    /// <summary>Packets read from the kernel's ring after the stop request (they had been counted as received); final once <see cref="Run"/> returns.</summary>
    public long DrainedAtStop { get; private set; }

    /// <summary>
    /// The capture loop: copies frames into batches and publishes them; a batch goes when it is full,
    /// when the ring has nothing more for now (so a quiet link's packets are not held), and with every
    /// tick. Waits (refreshing the counters) while every batch is in flight. Runs on the capture thread,
    /// which alone calls libpcap on this handle.
    /// </summary>
    private string? ReadIntoBatches(IntPtr pcap, int fd, IFrameBatchSink sink, CancellationToken cancel)
    {
        CapturedFrameBatch? batch = null;
        try
        {
            string? error = null;
            var lastTick = Stopwatch.GetTimestamp();
            while (!cancel.IsCancellationRequested)
            {
                batch ??= RentRefreshing(sink);
                if (batch is null) return null;
                var status = LibpcapNative.NextEx(pcap, out var header, out var data);
                if (status == 1)
                {
                    batch = CopyInto(batch, header, data, sink);
                    if (batch is null) return null;
                }
                else if (status == 0)
                {
                    if (batch.Count > 0)
                    {
                        sink.Publish(batch);
                        batch = null;
                    }
                    LibpcapNative.WaitReadable(fd, IdleWaitMilliseconds);
                }
                else
                {
                    if (status != -2) error = _device.LastError is { Length: > 0 } message ? message : "capture error";
                    break;
                }

                // Tick on time, not per packet: a busy link must not starve flushing, a quiet one must not stall it.
                var now = Stopwatch.GetTimestamp();
                if (now - lastTick >= TickIntervalTicks)
                {
                    lastTick = now;
                    RefreshCounters();
                    batch ??= RentRefreshing(sink);
                    if (batch is null) return null;
                    batch.TickMicros = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
                    sink.Publish(batch);
                    batch = null;
                }
            }

            // On stop, what is already in the kernel's ring buffer was received (libpcap counted it):
            // read it too, so every packet counted as received is either analysed or dropped.
            if (error is null) Drain(pcap, ref batch, sink);
            if (batch is { Count: > 0 }) sink.Publish(batch);
            batch = null;
            return error;
        }
        finally
        {
            RefreshCounters();
            sink.Complete();
        }
    }

    /// <summary>Copies one frame into the batch, or into a fresh one after publishing it when the frame does not fit; null when the consumer has gone.</summary>
    private CapturedFrameBatch? CopyInto(CapturedFrameBatch batch, IntPtr header, IntPtr data, IFrameBatchSink sink)
    {
        var (timestamp, captured, wire) = LibpcapNative.ReadHeader(header);
        captured = Math.Clamp(captured, 0, _options.Snaplen); // libpcap never exceeds the snaplen; batches are sized by it
        if (!batch.Fits(captured))
        {
            sink.Publish(batch);
            if (RentRefreshing(sink) is not { } next) return null;
            batch = next;
        }
        var room = batch.Reserve(captured);
        Marshal.Copy(data, room.Array!, room.Offset, captured);
        batch.Commit(captured, wire, timestamp);
        return batch;
    }

    /// <summary>An empty batch; while none is free, refreshes the counters (so drops show while it waits). Null when the consumer has gone.</summary>
    private CapturedFrameBatch? RentRefreshing(IFrameBatchSink sink)
    {
        while (true)
        {
            if (sink.Rent(IdleWaitMilliseconds) is { } batch) return batch;
            if (sink.IsAbandoned) return null;
            RefreshCounters();
        }
    }

    // TPACKET_V3 hands over a partly filled block only when its timer retires it, so look again after that timer.
    private void Drain(IntPtr pcap, ref CapturedFrameBatch? batch, IFrameBatchSink sink)
    {
        var deadline = Stopwatch.GetTimestamp() + DrainLimitSeconds * Stopwatch.Frequency;
        for (var pass = 0; pass < 2 && Stopwatch.GetTimestamp() < deadline; pass++)
        {
            if (pass > 0) Thread.Sleep((int)Math.Min(10_000, _options.BufferTimeout.TotalMilliseconds) + 50);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                batch ??= RentRefreshing(sink);
                if (batch is null) return;
                if (LibpcapNative.NextEx(pcap, out var header, out var data) != 1) break;
                batch = CopyInto(batch, header, data, sink);
                if (batch is null) return;
                DrainedAtStop++;
            }
        }
    }

    /// <summary>No hand-off (capture.handoff_megabytes = 0): each batch is decoded on the capture thread as soon as it is published.</summary>
    private sealed class InlineDelivery(IFrameHandler handler, LinkType linkType, int batchBytes) : IFrameBatchSink
    {
        private readonly CapturedFrameBatch _batch = new(batchBytes, BatchFrames);
        public bool IsAbandoned => false;
        public CapturedFrameBatch Rent(int timeoutMilliseconds) => _batch;

        public void Publish(CapturedFrameBatch batch)
        {
            Deliver(batch, handler, linkType);
            batch.Clear();
        }

        public void Complete()
        {
        }
    }

    // pcap_stats is called on the capture thread only (libpcap handles are not thread-safe); other
    // threads read the cached values.
    private void RefreshCounters()
    {
        // libpcap counts from the moment the handle was activated.
        if (!LibpcapStatistics.TryRead(_device, out var received, out var dropped, out var interfaceDropped)) return; // best effort; capture goes on
        // libpcap's counters are 32-bit and wrap; keep ours monotonic across wraps.
        Interlocked.Exchange(ref _received, Unwrap(_received, received));
        Interlocked.Exchange(ref _kernelDropped, Unwrap(_kernelDropped, dropped));
        Interlocked.Exchange(ref _interfaceDropped, Unwrap(_interfaceDropped, interfaceDropped));
    }

    internal static long Unwrap(long previous, long current32)
    {
        var low = (uint)current32;
        var result = (previous & ~0xFFFF_FFFFL) | low;
        return result < previous ? result + (1L << 32) : result;
    }

    public void Dispose() => _device.Dispose();
}

