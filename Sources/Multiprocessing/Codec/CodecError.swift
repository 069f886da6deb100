/// Why ``BinaryEncoder`` or ``BinaryDecoder`` refused a value or a frame: what the codec expected, what it
/// found instead, at which byte of the frame, and where in the value (the coding path).
///
/// ```swift
/// do { _ = try BinaryDecoder().decode(Job.self, from: bytes) }
/// catch let error as CodecError where error.kind == .truncated { ... }
/// ```
///
/// Decoding never traps on bad input: truncated, foreign, corrupted or hostile frames all end here.
/// Errors that your own `init(from:)` throws pass through unchanged, except `DecodingError`, which the
/// synthesized conformances throw for data that does not fit the type and which is reported as a
/// `CodecError` of kind ``Kind/dataCorrupted`` (or the matching kind).
public struct CodecError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The class of problem. New kinds may be added; match the ones you handle and treat the rest alike.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The bytes do not start with a codec frame header (wrong magic byte): a foreign buffer.
        public static let notAFrame = Kind("not a codec frame")
        /// The frame was written by an incompatible format version.
        public static let unsupportedVersion = Kind("unsupported format version")
        /// The frame or a value inside it ends before its declared length.
        public static let truncated = Kind("truncated")
        /// The structure is inconsistent: unknown tag, impossible count, trailing bytes, duplicate layout.
        public static let malformed = Kind("malformed")
        /// The value stored is of another kind than the one requested (a string where an Int was asked for).
        public static let typeMismatch = Kind("type mismatch")
        /// A number does not fit the requested type (300 as `UInt8`, a varint wider than 64 bits).
        public static let outOfRange = Kind("out of range")
        /// A string's bytes are not valid UTF-8.
        public static let invalidUTF8 = Kind("invalid UTF-8")
        /// A keyed container has no entry for the requested key.
        public static let keyNotFound = Kind("key not found")
        /// An unkeyed container has no more elements, or a non-optional value is nil.
        public static let valueNotFound = Kind("value not found")
        /// Containers nest deeper than the configured maximum depth.
        public static let tooDeep = Kind("nested too deeply")
        /// An `Encodable` implementation used the encoder in a way the Codable contract forbids
        /// (two different containers from one encoder, a single value encoded twice).
        public static let invalidUse = Kind("invalid use of the encoder")
        /// A `DecodingError.dataCorrupted` thrown by a Codable implementation (an unknown enum case, ...).
        public static let dataCorrupted = Kind("data corrupted")
    }

    /// The class of problem.
    public var kind: Kind
    /// What the codec was looking for, e.g. `Int`, `a value tag`, `3 bytes of UTF-8`.
    public var expected: String
    /// What it found instead, e.g. `string`, `end of frame`.
    public var found: String
    /// The byte offset from the start of the frame where the problem was seen, when known.
    public var offset: Int?
    /// Where in the value: keys and `[index]` components from the root, e.g. `["tasks", "[3]", "name"]`.
    public var codingPath: [String]

    public init(
        _ kind: Kind, expected: String, found: String, offset: Int? = nil, codingPath: [String] = []
    ) {
        self.kind = kind
        self.expected = expected
        self.found = found
        self.offset = offset
        self.codingPath = codingPath
    }

    /// The coding path written as `tasks[3].name`; empty for the root value.
    public var renderedPath: String {
        var text = ""
        for component in codingPath {
            if component.hasPrefix("[") || text.isEmpty {
                text += component
            } else {
                text += "." + component
            }
        }
        return text
    }

    public var description: String {
        var text = "codec error (\(kind)): expected \(expected), found \(found)"
        if let offset { text += " at byte \(offset)" }
        let path = renderedPath
        text += path.isEmpty ? " (root value)" : " (at \(path))"
        return text
    }
}

extension CodecError {
    /// Reports a `DecodingError` thrown by a Codable implementation as a codec error.
    init(_ error: DecodingError, offset: Int?) {
        func path(_ keys: [any CodingKey]) -> [String] { keys.map(CodingPath.render) }
        switch error {
        case .typeMismatch(let type, let context):
            self.init(
                .typeMismatch, expected: "\(type)", found: context.debugDescription, offset: offset,
                codingPath: path(context.codingPath))
        case .valueNotFound(let type, let context):
            self.init(
                .valueNotFound, expected: "\(type)", found: context.debugDescription, offset: offset,
                codingPath: path(context.codingPath))
        case .keyNotFound(let key, let context):
            self.init(
                .keyNotFound, expected: "key \"\(key.stringValue)\"", found: context.debugDescription,
                offset: offset, codingPath: path(context.codingPath))
        case .dataCorrupted(let context):
            self.init(
                .dataCorrupted, expected: "data the type accepts", found: context.debugDescription,
                offset: offset, codingPath: path(context.codingPath))
        @unknown default:
            self.init(.dataCorrupted, expected: "decodable data", found: "\(error)", offset: offset)
        }
    }
}
