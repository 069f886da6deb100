/// Why an array operation was refused: each message names the operation and what was wrong.
public struct ArrayError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }

    static func shapeMismatch(_ op: String, _ a: [Int], _ b: [Int]) -> ArrayError {
        ArrayError("\(op): shapes \(a) and \(b) do not match")
    }
}
