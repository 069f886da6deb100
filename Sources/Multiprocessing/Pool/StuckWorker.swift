/// A worker that had not finished when a pool call's deadline passed: killed (SIGKILL, then reaped)
/// and replaced by the pool. Named in ``WorkerPoolError/Code/timedOut``.
public struct StuckWorker: Sendable, Equatable, CustomStringConvertible {
    /// The killed worker's pid.
    public var pid: Int32
    /// Its state just before it was killed (stopped, running, sleeping...).
    public var state: ProcessState
    /// The chunk (or task batch) it held, or nil if it held none.
    public var chunk: Int?
    /// What it held, in the caller's words: "chunk 3 (elements 3145728..<4194304)", "task 7", a file.
    public var held: String

    public init(pid: Int32, state: ProcessState, chunk: Int?, held: String) {
        self.pid = pid
        self.state = state
        self.chunk = chunk
        self.held = held
    }

    public var description: String {
        chunk == nil ? "worker pid \(pid) (\(state)) held no chunk" : "worker pid \(pid) (\(state)) held \(held)"
    }
}

/// Spells a timeout for messages: "1 s", "0.25 s", "1.5 ms".
func describeTimeout(_ timeout: Duration) -> String {
    let (seconds, attoseconds) = timeout.components
    let total = Double(seconds) + Double(attoseconds) / 1e18
    if total >= 1 || total == 0 {
        return total == total.rounded() ? "\(Int64(total)) s" : "\(total) s"
    }
    let milliseconds = total * 1000
    return milliseconds >= 1 ? "\(Double(Int(milliseconds * 1000)) / 1000) ms" : "\(total) s"
}
