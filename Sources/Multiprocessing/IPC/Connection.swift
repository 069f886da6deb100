#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing

/// One end of a ``Pipe``: sends and receives length-framed messages (raw bytes, or Codable values in
/// the package's binary encoding) to and from the other end, across `fork`.
///
/// Built on a Unix stream socket pair: writing to a connection whose peer closed throws instead of
/// killing the process with SIGPIPE.
public final class Connection: @unchecked Sendable {
    private var fd: Int32
    /// Whether this end may send / receive.
    public let canSend: Bool
    public let canReceive: Bool
    /// The largest message ``receiveBytes(timeout:)`` accepts (a corrupt length cannot allocate unbounded memory).
    public var maximumMessageBytes = 1 << 30

    /// Wraps a connected Unix stream socket (Python's `Connection(handle)`); the connection owns `fd` and closes it.
    ///
    /// The peer must speak the same framing (an 8-byte little-endian length, then the message).
    public init(adopting fd: Int32, canSend: Bool = true, canReceive: Bool = true) {
        self.fd = fd
        self.canSend = canSend
        self.canReceive = canReceive
    }

    deinit { close() }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { fd < 0 }

    /// Closes this end; the peer's receive then reports ``ConnectionError/closed``.
    public func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    /// Sends one message of raw bytes.
    public func sendBytes(_ bytes: some Collection<UInt8>) throws {
        guard canSend else { throw ConnectionError.wrongDirection("send on a receive-only connection") }
        guard fd >= 0 else { throw ConnectionError.closed }
        var header = UInt64(bytes.count).littleEndian
        try withUnsafeBytes(of: &header) { try writeAll($0) }
        try Array(bytes).withUnsafeBytes { try writeAll($0) }
    }

    /// Receives one message of raw bytes, waiting for it at most `timeout` (nil: forever).
    ///
    /// Throws ``ConnectionError/timedOut`` when no whole message arrived in time. If part of a message
    /// had arrived, the stream cannot be resynchronized: this end is closed as well.
    public func receiveBytes(timeout: Duration? = nil) throws -> [UInt8] {
        guard canReceive else { throw ConnectionError.wrongDirection("receive on a send-only connection") }
        guard fd >= 0 else { throw ConnectionError.closed }
        let deadline = SyncDeadline.after(timeout)
        var header: UInt64 = 0
        try withUnsafeMutableBytes(of: &header) { try readAll($0, atMessageStart: true, deadline: deadline) }
        let length = UInt64(littleEndian: header)
        guard length <= UInt64(maximumMessageBytes) else {
            throw ConnectionError.messageTooLarge(length: length, limit: maximumMessageBytes)
        }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        try bytes.withUnsafeMutableBytes { try readAll($0, atMessageStart: false, deadline: deadline) }
        return bytes
    }

    /// Whether a message (or end of stream) is ready to receive, waiting at most `timeout` (nil: forever).
    public func poll(timeout: Duration? = .zero) -> Bool {
        guard fd >= 0 else { return false }
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds: Int32 = timeout.map { t in
            let (s, atto) = t.components
            return Int32(clamping: s * 1000 + atto / 1_000_000_000_000_000)
        } ?? -1
        let rc = retryingOnInterrupt { Glibc.poll(&entry, 1, milliseconds) }
        return rc > 0
    }

    private func writeAll(_ buffer: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < buffer.count {
            let n = retryingOnInterrupt { Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if mp_errno() == EPIPE || mp_errno() == ECONNRESET { throw ConnectionError.closed }
                throw ConnectionError.system(SystemError("send", "connection"))
            }
            offset += n
        }
    }

    private func readAll(_ buffer: UnsafeMutableRawBufferPointer, atMessageStart: Bool, deadline: SyncDeadline) throws {
        var offset = 0
        while offset < buffer.count {
            if let left = deadline.remainingNanoseconds, !poll(timeout: .nanoseconds(left)) {
                if offset > 0 || !atMessageStart { close() }
                throw ConnectionError.timedOut
            }
            let n = retryingOnInterrupt { recv(fd, buffer.baseAddress! + offset, buffer.count - offset, 0) }
            if n == 0 {
                throw offset == 0 && atMessageStart ? ConnectionError.closed : ConnectionError.truncated
            }
            if n < 0 {
                if mp_errno() == ECONNRESET { throw ConnectionError.closed }
                throw ConnectionError.system(SystemError("recv", "connection"))
            }
            offset += n
        }
    }
}

/// A pair of connected ``Connection``s (Python's `multiprocessing.Pipe`). Create it before forking;
/// each process keeps one end.
///
/// ```swift
/// let (parentEnd, childEnd) = try Pipe.open()
/// let p = Process { try childEnd.send(["answer": 42]) }
/// try p.start()
/// let message = try parentEnd.receive([String: Int].self)
/// ```
public enum Pipe {
    /// Two connected ends; with `duplex: false` the first end only receives and the second only sends.
    public static func open(duplex: Bool = true) throws -> (Connection, Connection) {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw ConnectionError.system(SystemError("socketpair", "pipe"))
        }
        if duplex {
            return (
                Connection(adopting: fds[0], canSend: true, canReceive: true),
                Connection(adopting: fds[1], canSend: true, canReceive: true)
            )
        }
        shutdown(fds[0], Int32(SHUT_WR))
        shutdown(fds[1], Int32(SHUT_RD))
        return (
            Connection(adopting: fds[0], canSend: false, canReceive: true),
            Connection(adopting: fds[1], canSend: true, canReceive: false)
        )
    }
}

/// Why a connection could not send or receive.
public enum ConnectionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The other end was closed (or its process exited).
    case closed
    /// The stream ended in the middle of a message.
    case truncated
    /// No whole message arrived within the timeout.
    case timedOut
    case messageTooLarge(length: UInt64, limit: Int)
    case wrongDirection(String)
    case system(SystemError)

    public var description: String {
        switch self {
        case .closed: "the other end of the connection is closed"
        case .truncated: "the connection ended in the middle of a message"
        case .timedOut: "timed out waiting for a message"
        case .messageTooLarge(let length, let limit): "message of \(length) bytes exceeds the limit of \(limit) bytes"
        case .wrongDirection(let what): "cannot \(what)"
        case .system(let error): error.description
        }
    }
}

extension SystemError: Equatable {
    public static func == (a: SystemError, b: SystemError) -> Bool {
        a.call == b.call && a.subject == b.subject && a.code == b.code
    }
}
