#if canImport(Glibc)
import Glibc
#endif
import Logging

/// A swift-log handler that appends each record as one line to a file, from any number of processes at
/// once, each line tagged with the pid of the process that logged it (Python's
/// `logging.basicConfig(filename=...)`).
///
/// One call sets it up for the whole program, before the pool or the children are started; every
/// `Logger` in this process and in the processes it forks then writes to the file:
///
/// ```swift
/// try FileLogHandler.bootstrap(appendingTo: "run.log", level: .info)
/// let pool = try WorkerPool()
/// // in a task, in a worker:
/// Logger(label: "crawler").info("fetched \(url)")
/// // run.log:  2026-12-05T12:00:00.123Z info crawler pid=4242: fetched https://...
/// ```
///
/// Safe from many processes: the file is opened with `O_APPEND`, so the kernel places each write at the
/// end of the file atomically, and each record is written with a single `write` call, so lines from
/// different processes never cut into each other. Records relayed by a ``LogRelay`` keep the pid of the
/// child that sent them (``LogRelay/init(appendingTo:)``). Spawned workers (``StartMethod/spawn``) run
/// `main` again: make the call before ``WorkerPool/runSpawnedWorkerIfRequested()``, with a path they
/// also arrive at (a fixed one, or one passed in the environment), and they append to the same file.
public struct FileLogHandler: LogHandler {
    private let file: LogFile
    private let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]

    /// A handler for `label` that appends to `file`.
    public init(label: String, file: LogFile, level: Logger.Level = .info) {
        self.label = label
        self.file = file
        self.logLevel = level
    }

    /// Opens (or creates) `path` for appending and makes it the destination of every `Logger` of this
    /// program (`LoggingSystem.bootstrap`, which swift-log allows once per process).
    /// - Throws: ``LogFileError`` when the file cannot be opened for appending.
    public static func bootstrap(appendingTo path: String, level: Logger.Level = .info) throws {
        let file = try LogFile(appendingTo: path)
        LoggingSystem.bootstrap { label in FileLogHandler(label: label, file: file, level: level) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        // A relayed record carries its sender's pid; a record logged here is this process's.
        let pid = merged.removeValue(forKey: "pid").map { "\($0)" } ?? String(getpid())
        var line = "\(LogFile.timestamp()) \(event.level) \(label) pid=\(pid): \(event.message)"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += "\n"
        file.append(line)
    }
}

/// A file opened for appending by a ``FileLogHandler``: shared by every handler of a process and
/// inherited by the processes it forks.
public final class LogFile: Sendable {
    private let fd: Int32
    /// The path it was opened with.
    public let path: String

    /// Opens `path` with `O_APPEND` (created with mode 0644 if missing). A symbolic link or anything but
    /// a regular file is refused, so a planted link cannot redirect the log.
    /// - Throws: ``LogFileError``.
    public init(appendingTo path: String) throws {
        let fd = path.withCString { system_open($0, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644) }
        guard fd >= 0 else {
            let code = errno
            let reason = code == ELOOP ? "it is a symbolic link" : String(cString: strerror(code))
            throw LogFileError(path: path, reason: reason)
        }
        var info = stat()
        guard system_fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            _ = system_close(fd)
            throw LogFileError(path: path, reason: "it is not a regular file")
        }
        self.fd = fd
        self.path = path
    }

    deinit { _ = system_close(fd) }

    /// Appends `line` with one `write` (the rest of a short write follows in a second one, which only a
    /// full disk or a signal causes).
    func append(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return   // a log write that fails (disk full) must not stop the program
                }
                offset += n
            }
        }
    }

    /// The current UTC time as `2026-12-05T12:00:00.123Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = now.tv_nsec / 1_000_000
        let milliText = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(milliText)Z"
    }
}

/// Why a log file could not be opened: the path and the reason.
public struct LogFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    public let reason: String

    public var description: String { "cannot append to log file \(path): \(reason)" }
}

extension LogRelay {
    /// A relay whose records from every child are appended to the file at `path`, one line each, tagged
    /// with the child's pid (see ``FileLogHandler``).
    public convenience init(appendingTo path: String) throws {
        let file = try LogFile(appendingTo: path)
        try self.init { label in FileLogHandler(label: label, file: file, level: .trace) }
    }
}
