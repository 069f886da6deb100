#if canImport(Glibc)
import Glibc
#endif
import Atomics

/// Runs a closure over inputs in freshly forked child processes and collects the outputs (fork-join):
/// for one-off work that does not deserve a ``ParallelTask`` type.
///
/// The children are forked for the call and end with it. They see this process's memory as it was at the
/// fork, so the closure may capture anything and the inputs need not be Codable; only the outputs travel
/// back (in the binary encoding, through a ``Pipe`` per child). Children take inputs one at a time from a
/// shared counter, so a slow input does not hold up the others. A closure that throws fails its input
/// only; a child that dies (a signal, `_exit`) fails the inputs it had taken and not reported, and the
/// others finish.
///
/// **Cost.** Each call forks `processes` children (about a millisecond each, more in a large process) and
/// each child faults in the pages it touches again (about 60 ms per GiB, DESIGN.md); a persistent
/// ``WorkerPool`` pays neither after its start. Use this for calls that run long enough for that not to
/// matter (seconds of work), and a ``ParallelTask`` on a pool for many small calls. What the closure
/// changes in memory stays in its child.
///
/// ```swift
/// let lengths = try ForkJoin.map(over: paths, processes: 4) { path in try expensiveParse(path).count }
/// ```
public enum ForkJoin {
    /// Runs `body` on every input in forked children and returns the outputs in input order.
    /// - Parameters:
    ///   - processes: how many children (default: one per core; never more than there are inputs).
    ///   - timeout: the most the whole call may take; then the children are killed (nil: no limit).
    /// - Throws: the ``ForkJoinError`` of the first input (in input order) that failed.
    public static func map<Input, Output: Codable & Sendable>(
        over inputs: [Input], processes: Int? = nil, timeout: Duration? = nil,
        _ body: @escaping (Input) throws -> Output
    ) throws -> [Output] {
        try mapResults(over: inputs, processes: processes, timeout: timeout, body).map { try $0.get() }
    }

    /// Like ``map(over:processes:timeout:_:)`` but returns every input's outcome.
    /// - Throws: ``ForkJoinError`` (with index -1) when the children cannot be started, or time out.
    public static func mapResults<Input, Output: Codable & Sendable>(
        over inputs: [Input], processes: Int? = nil, timeout: Duration? = nil,
        _ body: @escaping (Input) throws -> Output
    ) throws -> [Result<Output, ForkJoinError>] {
        let count = inputs.count
        guard count > 0 else { return [] }
        let wanted = processes ?? WorkerPool.availableCores
        guard wanted >= 1 else { throw ForkJoinError(index: -1, pid: nil, reason: "processes must be at least 1 (got \(wanted))") }
        let children = min(wanted, count)
        let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        // Bytes 0..<8: the next input to take; then one owner pid (Int) per input.
        let (claimBytes, overflow) = count.multipliedReportingOverflow(by: 8)
        guard !overflow else { throw ForkJoinError(index: -1, pid: nil, reason: "\(count) inputs are too many") }
        let table: SharedMemory
        do {
            table = try SharedMemory(byteCount: 64 + claimBytes)
        } catch {
            throw ForkJoinError(index: -1, pid: nil, reason: "\(error)")
        }
        let next = UnsafeAtomic<Int>(at: table.base.assumingMemoryBound(to: Int.AtomicRepresentation.self))
        let owners = (table.base + 64).assumingMemoryBound(to: Int.self)

        var started: [(process: Process, replies: Connection)] = []
        defer {
            for child in started where child.process.isAlive { child.process.kill() }
        }
        for k in 0..<children {
            let (receiver, sender): (Connection, Connection)
            do {
                (receiver, sender) = try Pipe.open(duplex: false)
            } catch {
                throw ForkJoinError(index: -1, pid: nil, reason: "\(error)")
            }
            let child = Process(name: "forkjoin-\(k)") {
                receiver.close()
                var replies: [ForkJoinReply<Output>] = []
                while true {
                    let index = next.loadThenWrappingIncrement(ordering: .relaxed)
                    if index >= count { break }
                    owners[index] = Int(getpid())
                    do {
                        replies.append(ForkJoinReply(index: index, output: try body(inputs[index])))
                    } catch {
                        replies.append(ForkJoinReply(index: index, failure: "\(error)"))
                    }
                }
                try sender.send(replies)
            }
            do {
                try child.start()
            } catch {
                throw ForkJoinError(index: -1, pid: nil, reason: "\(error)")
            }
            sender.close()   // the child holds the only sending end: its death is the end of the stream
            started.append((child, receiver))
        }

        var outcomes = [Result<Output, ForkJoinError>?](repeating: nil, count: count)
        for (process, replies) in started {
            let pid = process.pid
            let remaining = deadline.map { ContinuousClock.now.duration(to: $0) }
            if let remaining, remaining <= .zero {
                throw ForkJoinError(index: -1, pid: pid, reason: "the children did not finish within \(timeout!)")
            }
            do {
                for reply in try replies.receive([ForkJoinReply<Output>].self, timeout: remaining) {
                    guard reply.index >= 0, reply.index < count else { continue }
                    if let output = reply.output {
                        outcomes[reply.index] = .success(output)
                    } else {
                        outcomes[reply.index] = .failure(ForkJoinError(index: reply.index, pid: pid, reason: reply.failure ?? "failed"))
                    }
                }
            } catch ConnectionError.timedOut {
                throw ForkJoinError(index: -1, pid: pid, reason: "the children did not finish within \(timeout!)")
            } catch {
                // No whole reply: the child died. The inputs it took fail with how it ended.
                _ = try? process.join(timeout: .seconds(10))
                let how = process.exitStatus.map { "\($0)" } ?? "an unknown status"
                for index in 0..<count where outcomes[index] == nil && pid.map({ owners[index] == Int($0) }) == true {
                    outcomes[index] = .failure(ForkJoinError(index: index, pid: pid, reason: "its child process ended with \(how)"))
                }
            }
            _ = try? process.join(timeout: .seconds(10))
        }
        return outcomes.enumerated().map { index, outcome in
            outcome ?? .failure(ForkJoinError(index: index, pid: nil, reason: "no child process ran it (they all ended first)"))
        }
    }
}

/// One input's outcome as a child sends it back.
struct ForkJoinReply<Output: Codable & Sendable>: Codable, Sendable {
    var index: Int
    var output: Output?
    var failure: String?
}

/// Why an input of a ``ForkJoin`` call failed: its index (-1 for the call as a whole), the child's pid,
/// and what happened.
public struct ForkJoinError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The input's index, or -1 when the whole call failed (children not started, timeout).
    public let index: Int
    /// The child process that ran it, when known.
    public let pid: Int32?
    public let reason: String

    public var description: String {
        let whereText = pid.map { " in child pid \($0)" } ?? ""
        return index >= 0 ? "input \(index) failed\(whereText): \(reason)" : "fork-join call failed\(whereText): \(reason)"
    }
}
