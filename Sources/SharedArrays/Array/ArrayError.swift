/// Why an array operation was refused: which operation, what kind of problem (``code``), which input was
/// to blame and what was wrong with it.
///
/// A struct with a code rather than an enum, so codes and fields can be added without breaking clients.
/// The description is one line: "slice: range 3..<9 is outside 0..<5".
///
/// ```swift
/// do { _ = try x.slice(3..<9) } catch let error as ArrayError where error.code == .outOfRange {
///     print(error.operation, error.input ?? "", error.reason)
/// }
/// ```
public struct ArrayError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of problem. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// An argument's value is not allowed (a negative ddof, zero bins, an empty list of quantiles).
        public static let invalidArgument = Code("invalid argument")
        /// An index or range lies outside the array.
        public static let outOfRange = Code("out of range")
        /// Two inputs that must have the same shape (or length) do not.
        public static let shapeMismatch = Code("shape mismatch")
        /// A shape that the operation cannot take (3-D, negative, not 2-D where 2-D is needed).
        public static let invalidShape = Code("invalid shape")
        /// An element type the operation does not handle.
        public static let unsupportedType = Code("unsupported type")
        /// A strided view where contiguous elements are needed (copy() it first).
        public static let notContiguous = Code("not contiguous")
        /// Inputs that belong to different pools.
        public static let differentPools = Code("different pools")
        /// More elements, keys, chunks or bytes than can be addressed or held.
        public static let tooLarge = Code("too large")
        /// The engine found its own bookkeeping inconsistent (a bug, reported rather than trapped).
        public static let internalInconsistency = Code("internal inconsistency")
    }

    /// The kind of problem.
    public var code: Code
    /// The operation refused ("slice", "groupBy"), or nil when the reason names it.
    public var operation: String?
    /// The input to blame ("ddof", "range", "mask", "keys"), when one is.
    public var input: String?
    /// What was wrong, in words ("range 3..<9 is outside 0..<5").
    public var reason: String
    /// The shapes involved, when shapes are the problem.
    public var shapes: [[Int]]

    public init(_ code: Code, operation: String?, input: String? = nil, shapes: [[Int]] = [], _ reason: String) {
        self.code = code
        self.operation = operation
        self.input = input
        self.shapes = shapes
        self.reason = reason
    }

    public var description: String { operation.map { "\($0): \(reason)" } ?? reason }

    static func shapeMismatch(_ op: String, _ a: [Int], _ b: [Int]) -> ArrayError {
        ArrayError(.shapeMismatch, operation: op, input: "shapes", shapes: [a, b], "shapes \(a) and \(b) do not match")
    }
}
