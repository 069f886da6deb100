/// Encodes `Encodable` values as compact, self-delimiting binary frames: what `pickle.dumps` is to Python's
/// multiprocessing, for task inputs and results crossing between processes through shared memory or a pipe.
///
/// ```swift
/// let bytes = try BinaryEncoder().encode(Job(name: "sum", rows: 0..<1_000))
/// let job = try BinaryDecoder().decode(Job.self, from: bytes)
/// ```
///
/// The format (see `CodecFormat`) is a frame header (magic byte, version, payload length) and one tagged value:
/// varint integers, little-endian floats, length-prefixed UTF-8, counted containers with byte lengths. It uses
/// only the standard library, so it is safe in forked workers where Foundation is not.
public struct BinaryEncoder: Sendable {
    /// Passed to `encode(to:)` implementations as `encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]
    /// How deeply containers may nest; deeper values throw ``CodecError/Kind/tooDeep`` (so anything encoded
    /// can be decoded with the same limit).
    public var maximumDepth: Int = CodecFormat.defaultMaximumDepth

    public init() {}

    /// The frame for `value`.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let context = EncodingContext(userInfo: userInfo.mapValues { $0 as Any }, maximumDepth: maximumDepth)
        defer { context.releaseSuperEncoders() }
        let root = EncoderNode(context: context, parent: nil, key: nil, depth: 0)
        let encoded = try root.encode(value, key: nil)
        if let misuse = context.firstMisuse { throw misuse }
        var serializer = FrameSerializer(maximumDepth: maximumDepth)
        return try serializer.frame(encoded)
    }
}
