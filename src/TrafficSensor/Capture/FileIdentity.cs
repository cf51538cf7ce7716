using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TrafficSensor.Capture;

/// <summary>What kind of file system object a path names (after following symlinks).</summary>
public enum FileKind
{
    Missing,
    Regular,
    Directory,
    /// <summary>A FIFO, socket or character device (a pipe, /dev/stdin): can be read once, as a stream.</summary>
    Stream,
    Other,
}

/// <summary>
/// A file's identity, device and inode, from statx(2) (whose layout is the same on every Linux
/// architecture): two paths name the same file exactly when these match, whatever symlinks, hard links or
/// "../" lie between them. .NET exposes neither, and path comparison misses all three.
/// </summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode, FileKind Kind)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;

    /// <summary>The identity of what <paramref name="path"/> names (following symlinks unless told not to); Missing when it cannot be examined.</summary>
    public static FileIdentity Of(string path, bool followSymlinks = true)
    {
        var buffer = new byte[256];
        if (statx(AtFdCwd, path, followSymlinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
            return new FileIdentity(0, 0, FileKind.Missing);
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28));
        var inode = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(32));
        var devMajor = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(136));
        var devMinor = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(140));
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 or 0xC000 or 0x2000 => FileKind.Stream, // FIFO, socket, character device
            _ => FileKind.Other,
        };
        return new FileIdentity(((ulong)devMajor << 32) | devMinor, inode, kind);
    }

    public bool Exists => Kind != FileKind.Missing;

    /// <summary>Same file system object (both must exist).</summary>
    public bool SameFileAs(FileIdentity other) => Exists && other.Exists && Device == other.Device && Inode == other.Inode;

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
