#if canImport(Glibc)
import Glibc
#endif

/// What the kernel says a process is doing: the state letter of `/proc/PID/stat`.
///
/// Read for a worker that missed a deadline, before it is killed, so the error tells a stopped worker
/// (SIGSTOP, a debugger) from a busy one (an endless loop) or one waiting in the kernel.
public enum ProcessState: String, Sendable, Equatable, CustomStringConvertible {
    case running
    case sleeping
    /// Uninterruptible sleep, usually I/O (`D`).
    case waitingOnIO = "waiting on I/O"
    /// Stopped by a signal (SIGSTOP, SIGTSTP) or job control (`T`).
    case stopped
    /// Stopped by a debugger (`t`).
    case tracingStop = "stopped by a debugger"
    case zombie
    case dead
    case idle
    /// The process is gone or its state could not be read.
    case unknown

    /// The state of process `pid` now.
    public init(pid: Int32) {
        self = Self.stateLetter(pid: pid).map(Self.init(letter:)) ?? .unknown
    }

    init(letter: UInt8) {
        switch letter {
        case UInt8(ascii: "R"): self = .running
        case UInt8(ascii: "S"): self = .sleeping
        case UInt8(ascii: "D"): self = .waitingOnIO
        case UInt8(ascii: "T"): self = .stopped
        case UInt8(ascii: "t"): self = .tracingStop
        case UInt8(ascii: "Z"): self = .zombie
        case UInt8(ascii: "X"), UInt8(ascii: "x"): self = .dead
        case UInt8(ascii: "I"): self = .idle
        default: self = .unknown
        }
    }

    public var description: String { rawValue }

    /// The state letter: the first field after the command name, which is in parentheses and may
    /// itself contain spaces and parentheses (so search from the last `)`).
    private static func stateLetter(pid: Int32) -> UInt8? {
        let fd = Glibc.open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        let text = buffer[..<n]
        guard let close = text.lastIndex(of: UInt8(ascii: ")")), close + 2 < n else { return nil }
        return text[close + 2]
    }
}
