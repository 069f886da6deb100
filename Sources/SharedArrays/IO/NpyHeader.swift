/// The parsed header of a `.npy` file (format versions 1.0, 2.0 and 3.0; C order only).
public struct NpyHeader: Sendable, Equatable {
    /// The element type stored in the file.
    public var dtype: DType
    /// Whether the stored elements are big-endian (`>` in the descr); always false for one-byte types.
    public var isBigEndian: Bool
    /// The array's shape; `[]` for a 0-d (scalar) array.
    public var shape: [Int]
    /// The byte offset of the first element.
    public var dataOffset: Int
    /// The number of elements (the product of `shape`; 1 for a scalar).
    public var count: Int

    public init(dtype: DType, isBigEndian: Bool, shape: [Int], dataOffset: Int, count: Int) {
        self.dtype = dtype
        self.isBigEndian = isBigEndian
        self.shape = shape
        self.dataOffset = dataOffset
        self.count = count
    }

    /// The number of data bytes the header promises.
    public var dataByteCount: Int { count * dtype.byteSize }

    /// Reads and validates the header of the `.npy` file at `path`, including that the file holds all the
    /// data the header promises. Same as ``NpyFile/read(path:)``.
    public static func read(path: String) throws -> NpyHeader {
        try NpyFile.read(path: path)
    }
}

/// The `.npy` magic string: `\x93NUMPY`.
let npyMagic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

extension DType {
    /// numpy's type code without byte order: `f8`, `f4`, `i8`, `i4`, `i2`, `u1`.
    var npyTypeCode: String {
        switch self {
        case .float64: "f8"
        case .float32: "f4"
        case .int64: "i8"
        case .int32: "i4"
        case .int16: "i2"
        case .uint8: "u1"
        }
    }

    /// The little-endian numpy descr written by ``NpyWriter``: `<f8`, ..., `|u1`.
    var npyDescr: String { (byteSize == 1 ? "|" : "<") + npyTypeCode }
}

/// Parsing of the header dictionary, e.g. `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
enum NpyHeaderParser {
    /// A Python literal as found in numpy headers.
    indirect enum Value: Equatable {
        case string(String)
        case int(Int)
        case bool(Bool)
        case none
        case tuple([Value])
        case list([Value])
        case dict([(String, Value)])

        static func == (a: Value, b: Value) -> Bool {
            switch (a, b) {
            case let (.string(x), .string(y)): return x == y
            case let (.int(x), .int(y)): return x == y
            case let (.bool(x), .bool(y)): return x == y
            case (.none, .none): return true
            case let (.tuple(x), .tuple(y)), let (.list(x), .list(y)): return x == y
            case let (.dict(x), .dict(y)):
                return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            default: return false
            }
        }
    }

    struct SyntaxError: Error { let message: String }

    /// Parses one Python literal from `text`, allowing trailing whitespace only.
    static func parse(_ text: String) throws -> Value {
        var parser = Parser(bytes: Array(text.utf8))
        let value = try parser.value()
        parser.skipSpace()
        if parser.index < parser.bytes.count {
            throw SyntaxError(message: "unexpected text after the header dictionary at byte \(parser.index)")
        }
        return value
    }

    /// How deeply literals may nest: a numpy header nests two levels (a dict holding a tuple); a deeper
    /// header is junk, and recursion on it must not exhaust the stack.
    static let maximumDepth = 16

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        var depth = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func enter() throws {
            depth += 1
            if depth > NpyHeaderParser.maximumDepth {
                throw SyntaxError(message: "literals nested more than \(NpyHeaderParser.maximumDepth) deep at byte \(index)")
            }
        }

        mutating func expect(_ byte: UInt8) throws {
            skipSpace()
            guard peek() == byte else {
                throw SyntaxError(message: "expected '\(Character(Unicode.Scalar(byte)))' at byte \(index)")
            }
            index += 1
        }

        mutating func value() throws -> Value {
            skipSpace()
            guard let c = peek() else { throw SyntaxError(message: "unexpected end of header") }
            switch c {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "{"):
                try enter()
                defer { depth -= 1 }
                index += 1
                var items: [(String, Value)] = []
                while true {
                    skipSpace()
                    if peek() == UInt8(ascii: "}") { index += 1; break }
                    guard case let .string(key) = try value() else {
                        throw SyntaxError(message: "dictionary key is not a string at byte \(index)")
                    }
                    // Python keeps the last of a repeated key, and a first-wins reader would disagree:
                    // an ambiguous header is an error.
                    if items.contains(where: { $0.0 == key }) {
                        throw SyntaxError(message: "repeated key '\(key)' at byte \(index)")
                    }
                    try expect(UInt8(ascii: ":"))
                    items.append((key, try value()))
                    skipSpace()
                    if peek() == UInt8(ascii: ",") { index += 1; continue }
                    try expect(UInt8(ascii: "}"))
                    break
                }
                return .dict(items)
            case UInt8(ascii: "("), UInt8(ascii: "["):
                let close = c == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
                try enter()
                defer { depth -= 1 }
                index += 1
                var items: [Value] = []
                while true {
                    skipSpace()
                    if peek() == close { index += 1; break }
                    items.append(try value())
                    skipSpace()
                    if peek() == UInt8(ascii: ",") { index += 1; continue }
                    try expect(close)
                    break
                }
                return c == UInt8(ascii: "(") ? .tuple(items) : .list(items)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return .int(try integer())
            default:
                var word = ""
                while let b = peek(), (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) ||
                    (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) {
                    word.append(Character(Unicode.Scalar(b)))
                    index += 1
                }
                switch word {
                case "True": return .bool(true)
                case "False": return .bool(false)
                case "None": return .none
                default: throw SyntaxError(message: "unexpected token '\(word.isEmpty ? String(Character(Unicode.Scalar(c))) : word)' at byte \(index)")
                }
            }
        }

        mutating func string() throws -> String {
            let quote = bytes[index]
            index += 1
            var out: [UInt8] = []
            while let b = peek() {
                index += 1
                if b == quote { return String(decoding: out, as: UTF8.self) }
                if b == UInt8(ascii: "\\"), let next = peek() {
                    index += 1
                    out.append(next)
                } else {
                    out.append(b)
                }
            }
            throw SyntaxError(message: "unterminated string")
        }

        mutating func integer() throws -> Int {
            var negative = false
            if peek() == UInt8(ascii: "-") { negative = true; index += 1 }
            var result = 0
            var digits = 0
            while let b = peek(), b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
                let (m, o1) = result.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int(b - UInt8(ascii: "0")))
                if o1 || o2 { throw SyntaxError(message: "integer too large at byte \(index)") }
                result = s
                digits += 1
                index += 1
            }
            if digits == 0 { throw SyntaxError(message: "expected a number at byte \(index)") }
            if peek() == UInt8(ascii: "L") { index += 1 }  // Python 2 long suffix, e.g. (3L,)
            return negative ? -result : result
        }
    }

    /// numpy's name for a descr's type code (`c16` → complex128), for error messages.
    static func describe(typeCode: String) -> String {
        guard let kind = typeCode.first else { return "unknown" }
        let size = Int(typeCode.dropFirst()) ?? 0
        switch kind {
        case "f": return "float\(size * 8)"
        case "i": return "int\(size * 8)"
        case "u": return "uint\(size * 8)"
        case "c": return "complex\(size * 8)"
        case "b": return "bool"
        case "?": return "bool"
        case "O": return "object"
        case "U": return "unicode string"
        case "S", "a": return "byte string"
        case "V": return "void/structured"
        case "M": return "datetime64"
        case "m": return "timedelta64"
        default: return "unknown"
        }
    }

    /// Maps a descr like `<f8` to a ``DType`` and its byte order, or explains why it is unsupported.
    static func dtype(descr: String) -> Result<(DType, Bool), SyntaxError> {
        var code = Substring(descr)
        var order: Character = "="
        if let first = code.first, "<>|=".contains(first) {
            order = first
            code = code.dropFirst()
        }
        let names: [String: DType] = ["f8": .float64, "f4": .float32, "i8": .int64, "i4": .int32,
                                      "i2": .int16, "u1": .uint8]
        let supported = "supported: float64 (f8), float32 (f4), int64 (i8), int32 (i4), int16 (i2), uint8 (u1)"
        guard let dtype = names[String(code)] else {
            return .failure(SyntaxError(message:
                "unsupported dtype '\(descr)' (\(describe(typeCode: String(code)))); \(supported)"))
        }
        let littleEndianHost = 1.littleEndian == 1
        let bigEndian: Bool
        switch order {
        case ">": bigEndian = dtype.byteSize > 1
        case "<", "|": bigEndian = false
        default: bigEndian = !littleEndianHost && dtype.byteSize > 1
        }
        return .success((dtype, bigEndian))
    }
}
