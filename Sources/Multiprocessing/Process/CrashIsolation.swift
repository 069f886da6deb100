#if os(Linux)
#if canImport(Glibc)
import Glibc
#endif

/// Runs a closure in a freshly forked child so that a crash in it (typically inside a C library reading an
/// untrusted file) cannot take the calling process down.
///
/// The child is a daemon ``Process``: stdio is flushed before the fork, crash signals are back to their default
/// action (no backtrace, as in pool workers; `MPROC_BACKTRACE=1` keeps the handlers), and it leaves with `_exit`.
/// The closure's value, or its error's description, comes back through a ``Pipe`` in the package's binary
/// encoding. A death by signal, a silent exit or a run past `timeout` (the child is then killed) is a
/// ``CrashIsolationError``. The value is a copy: nothing the closure changes in memory is seen by the caller.
///
/// Costs one `fork` per call (a few milliseconds in a large process): meant for short, rare calls.
///
/// ```swift
/// let names = try CrashIsolation.run(name: "list") { try readNames(untrustedFile) }
/// ```
public enum CrashIsolation {
    /// What the child sends back: the value, or the description of the error the closure threw.
    private struct Reply<Value: Codable>: Codable {
        var value: Value?
        var failure: String?
    }

    /// Runs `body` in a forked child and returns its result.
    ///
    /// - Parameters:
    ///   - name: the child's process name, and a word for messages.
    ///   - timeout: how long the child may run before it is killed (nil: no limit).
    /// - Throws: ``CrashIsolationError``: `.failed` with the description of the error `body` threw, `.crashed`
    ///   when the child died by a signal, `.timedOut`, `.noResult` when it ended without a reply, or
    ///   `.spawnFailed`.
    public static func run<Value: Codable>(
        name: String = "mproc-isolated", timeout: Duration? = .seconds(120), _ body: @escaping () throws -> Value
    ) throws(CrashIsolationError) -> Value {
        let receiver: Connection, sender: Connection
        do {
            (receiver, sender) = try Pipe.open(duplex: false)
        } catch {
            throw .spawnFailed("\(error)")
        }
        defer { receiver.close() }
        let child = Process(name: name) {
            receiver.close()
            var reply = Reply<Value>()
            do { reply.value = try body() } catch { reply.failure = "\(error)" }
            try sender.send(reply)
            sender.close()
        }
        do {
            try child.start()
        } catch {
            sender.close()
            throw .spawnFailed("\(error)")
        }
        sender.close()   // the child holds the only sending end now: its death is end of stream here
        let reply: Reply<Value>
        do {
            reply = try receiver.receive(Reply<Value>.self, timeout: timeout)
        } catch ConnectionError.timedOut {
            child.kill()
            _ = try? child.join()
            throw .timedOut(name, timeout ?? .zero)
        } catch {
            // No whole reply: the child died (or its reply cannot be decoded); its exit status says why.
            if (try? child.join(timeout: .seconds(10))) != true {
                child.kill()
                _ = try? child.join()
            }
            switch child.exitStatus {
            case .signaled(let signal): throw .crashed(name, signal)
            case .exited(let code): throw .noResult(name, "exit code \(code): \(error)")
            case nil: throw .noResult(name, "\(error)")
            }
        }
        // The child exits right after its reply; a stuck exit (or a crash there) does not matter to the result.
        if (try? child.join(timeout: .seconds(10))) != true {
            child.kill()
            _ = try? child.join()
        }
        if let failure = reply.failure { throw .failed(failure) }
        guard let value = reply.value else { throw .noResult(name, "the reply has no value") }
        return value
    }
}

/// Why a ``CrashIsolation/run(name:timeout:_:)`` call gave no value.
public enum CrashIsolationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The closure threw: its error's description.
    case failed(String)
    /// The child (named) died by this signal.
    case crashed(String, Int32)
    /// The child (named) ran past the timeout and was killed.
    case timedOut(String, Duration)
    /// The child (named) ended without a reply.
    case noResult(String, String)
    /// The pipe or the fork failed.
    case spawnFailed(String)

    public var description: String {
        switch self {
        case .failed(let message): message
        case .crashed(let name, let signal): "\(name) crashed (signal \(signal), \(signalName(signal)))"
        case .timedOut(let name, let timeout): "\(name) did not finish within \(timeout) and was killed"
        case .noResult(let name, let why): "\(name) ended without a result (\(why))"
        case .spawnFailed(let why): "could not start an isolated child: \(why)"
        }
    }
}
#endif
