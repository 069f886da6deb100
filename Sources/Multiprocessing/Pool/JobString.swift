/// A string stored inline (up to 1,023 UTF-8 bytes) so a ``WorkerJob`` can carry a path or a dataset
/// name as plain data.
public struct JobString: BitwiseCopyable, Sendable {
    public static let capacity = 1023
    private var bytes: InlineArray<1024, UInt8>
    private var length: Int

    /// Stores `string`; nil when it is longer than ``capacity`` bytes or contains a NUL byte.
    public init?(_ string: String) {
        let utf8 = Array(string.utf8)
        guard utf8.count <= Self.capacity, !utf8.contains(0) else { return nil }
        bytes = InlineArray(repeating: 0)
        for (i, byte) in utf8.enumerated() { bytes[i] = byte }
        length = utf8.count
    }

    /// The stored string.
    public var string: String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(length)
        for i in 0..<length { utf8.append(bytes[i]) }
        return String(decoding: utf8, as: UTF8.self)
    }
}
