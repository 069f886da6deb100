#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Relays swift-log records from child processes (pool workers, ``Process`` children) to one handler in
/// the parent, tagged with the child's pid, so a program's log has a single writer.
///
/// Create the relay in the parent before forking; children log through ``makeHandler(label:)``. Each
/// record travels as one packet on a Unix `SOCK_SEQPACKET` socket (records from many children never
/// interleave); a parent thread forwards them. ``flush()`` forwards everything already sent, and
/// ``shutdown()`` flushes and stops the thread, so nothing is lost at exit.
///
/// ```swift
/// let relay = try LogRelay { label in StreamLogHandler.standardError(label: label) }
/// let pool = try WorkerPool(initializer: { ... })      // in a worker:
/// let log = Logger(label: "worker", factory: relay.makeHandler)
/// log.info("chunk done")                               // printed by the parent, with pid=<worker>
/// relay.shutdown()
/// ```
public final class LogRelay: @unchecked Sendable {
    private let readFD: Int32
    private let writeFD: Int32
    private let owner = getpid()
    private let forward: @Sendable (String) -> any LogHandler
    private let lock = ConditionLock()
    private var handlers: [String: any LogHandler] = [:]
    private var running = true
    private var forwarded = 0
    /// The largest record (bytes); longer messages are truncated.
    public static let maximumRecordBytes = 60_000

    /// A relay whose records go to handlers made by `forward` (one per label), in this process.
    public init(forwardingTo forward: @escaping @Sendable (String) -> any LogHandler) throws {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0, &fds) == 0 else {
            throw SystemError("socketpair", "log relay")
        }
        readFD = fds[0]
        writeFD = fds[1]
        var size: Int32 = 4 << 20
        setsockopt(writeFD, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(readFD, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        self.forward = forward
        ForkGate.prepare()
        startBackgroundThread { [self] in readLoop() }
    }

    deinit {
        if getpid() == owner { shutdown() }
    }

    /// A handler that sends records to the parent; use it in child processes (it also works in the parent).
    public func makeHandler(label: String) -> any LogHandler {
        RelayLogHandler(label: label, fd: writeFD)
    }

    /// Number of records forwarded so far.
    public var forwardedCount: Int { lock.withLock { forwarded } }

    /// Forwards every record already sent (by processes that are done logging) before returning.
    public func flush() {
        // A marker packet from this process: when it arrives, everything sent before it has been forwarded.
        let marker = Array("\u{1}flush".utf8)
        let before: Int = lock.withLock { markersSeen }
        guard lock.withLock({ running }) else { return }
        _ = marker.withUnsafeBytes { send(writeFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        lock.withLock {
            _ = lock.wait(until: { markersSeen > before || !running }, deadline: ContinuousClock.now + .seconds(30))
        }
    }

    /// Flush markers the reader has reached.
    private var markersSeen = 0

    /// Flushes, then stops forwarding. Idempotent.
    public func shutdown() {
        guard getpid() == owner, lock.withLock({ running }) else { return }
        flush()
        lock.withLock { running = false }
        let stop = Array("\u{1}stop".utf8)
        _ = stop.withUnsafeBytes { send(writeFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    private func readLoop() {
        // Holds the fork gate except inside recv: a child forked by another thread while this one runs Swift
        // code could inherit a runtime lock held (notebook 10's second child hung in `Logger(label:)`).
        ForkGate.enter()
        defer { ForkGate.leave() }
        var buffer = [UInt8](repeating: 0, count: Self.maximumRecordBytes + 4096)
        let capacity = buffer.count
        while true {
            let n = buffer.withUnsafeMutableBytes { raw -> Int in
                let base = raw.baseAddress
                ForkGate.leave()
                let received = recv(readFD, base, capacity, 0)
                ForkGate.enter()
                return received
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let packet = buffer[0..<n]
            if packet.first == 1 {
                let text = String(decoding: packet.dropFirst(), as: UTF8.self)
                if text == "stop" { break }
                lock.withLock {
                    markersSeen += 1
                    lock.broadcast()
                }
                continue
            }
            if let record = RelayRecord(decoding: Array(packet)) { deliver(record) }
        }
        close(readFD)
        close(writeFD)
        lock.withLock {
            running = false
            lock.broadcast()
        }
    }

    private func deliver(_ record: RelayRecord) {
        var handler = lock.withLock {
            if let existing = handlers[record.label] { return existing }
            let made = forward(record.label)
            handlers[record.label] = made
            return made
        }
        var metadata = Logger.Metadata()
        for (key, value) in record.metadata { metadata[key] = .string(value) }
        metadata["pid"] = .stringConvertible(record.pid)
        handler.logLevel = .trace
        handler.log(
            event: LogEvent(
                level: record.level, message: "\(record.message)", metadata: metadata, source: record.source,
                file: record.file, function: record.function, line: record.line))
        lock.withLock { forwarded += 1 }
    }
}

/// The child-side handler: one packet per record.
struct RelayLogHandler: LogHandler {
    let label: String
    let fd: Int32
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        let record = RelayRecord(
            level: event.level, label: label, pid: getpid(), message: event.message.description,
            metadata: merged.map { ($0.key, $0.value.description) }.sorted { $0.0 < $1.0 }, source: event.source,
            file: event.file, function: event.function, line: event.line)
        let bytes = record.encoded(limit: LogRelay.maximumRecordBytes)
        // Blocks when the parent is behind (SO_SNDBUF full) rather than dropping records.
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}

/// One log record on the wire: NUL-separated fields.
struct RelayRecord {
    var level: Logger.Level
    var label: String
    var pid: Int32
    var message: String
    var metadata: [(String, String)]
    var source: String
    var file: String
    var function: String
    var line: UInt

    init(
        level: Logger.Level, label: String, pid: Int32, message: String, metadata: [(String, String)],
        source: String, file: String, function: String, line: UInt
    ) {
        (self.level, self.label, self.pid, self.message, self.metadata) = (level, label, pid, message, metadata)
        (self.source, self.file, self.function, self.line) = (source, file, function, line)
    }

    func encoded(limit: Int) -> [UInt8] {
        let clean = { (s: String) in String(s.map { $0 == "\u{0}" ? " " : $0 }) }
        var fields = [level.rawValue, clean(label), String(pid), String(line), clean(source), clean(file), clean(function)]
        fields.append(String(metadata.count))
        for (k, v) in metadata { fields += [clean(k), clean(v)] }
        var bytes = Array(fields.joined(separator: "\u{0}").utf8) + [0]
        let room = max(0, limit - bytes.count)
        bytes += Array(clean(message).utf8.prefix(room))
        return bytes
    }

    init?(decoding bytes: [UInt8]) {
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard parts.count >= 9, let level = Logger.Level(rawValue: parts[0]), let pid = Int32(parts[2]),
            let line = UInt(parts[3]), let count = Int(parts[7]), parts.count >= 8 + 2 * count + 1
        else { return nil }
        var metadata: [(String, String)] = []
        for i in 0..<count { metadata.append((parts[8 + 2 * i], parts[9 + 2 * i])) }
        let message = parts[(8 + 2 * count)...].joined(separator: " ")
        self.init(
            level: level, label: parts[1], pid: pid, message: message, metadata: metadata, source: parts[4],
            file: parts[5], function: parts[6], line: line)
    }
}
