/// A unit of user work that a ``WorkerPool`` runs in its worker processes, with Codable input and output.
///
/// Python pickles a function by reference; here a task is a type, found in the worker by its name, and
/// its input and output cross between processes in a compact binary encoding through shared memory.
/// No registration is needed.
///
/// ```swift
/// struct Square: ParallelTask {
///     static func run(_ x: Int) throws -> Int { x * x }
/// }
/// let squares = try pool.map(Square.self, over: 0..<10_000)
/// ```
public protocol ParallelTask: SendableMetatype {
    associatedtype Input: Codable & Sendable
    associatedtype Output: Codable & Sendable
    /// Runs one input, in a worker process. A thrown error fails this input only.
    static func run(_ input: Input) throws -> Output
}

/// Why one task of a map failed: its index, the input, the worker, and what went wrong.
public struct TaskError: Error, CustomStringConvertible, Sendable, Equatable {
    /// How the task failed.
    public enum Reason: Sendable, Equatable {
        /// The task threw: the error's type name and description.
        case threw(type: String, message: String)
        /// The worker running it died: exit status (signal or code).
        case workerDied(ExitStatus)
    }

    /// The task's index in the input sequence.
    public let index: Int
    /// A short description of the input (truncated).
    public let input: String
    /// The worker process that ran it.
    public let pid: Int32
    public let reason: Reason
    /// The task type's name.
    public let task: String

    public var description: String {
        switch reason {
        case .threw(let type, let message):
            "\(task) task \(index) (input \(input)) threw \(type) in worker pid \(pid): \(message)"
        case .workerDied(let status):
            "\(task) task \(index) (input \(input)) was lost: worker pid \(pid) died with \(status)"
        }
    }
}

/// Describes an input for an error message, at most 80 characters.
func describeInput<T>(_ value: T) -> String {
    let text = String(describing: value)
    return text.count <= 80 ? text : String(text.prefix(77)) + "..."
}
