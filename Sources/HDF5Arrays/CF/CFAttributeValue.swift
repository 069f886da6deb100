import CHDF5
import SharedArrays

/// A number from an attribute, kept exactly: integers as `Int64` (when they fit), floats as `Double`.
public struct CFNumber: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The value as a Double (rounded for integers past 2^53).
    public var double: Double
    /// The exact value of an integer attribute that fits an `Int64`, else nil.
    public var integer: Int64?

    public init(_ double: Double) { self.double = double; integer = nil }
    public init(integer: Int64) { self.double = Double(integer); self.integer = integer }

    public var description: String {
        if let integer { return String(integer) }
        if double.isNaN { return "nan" }
        if double == double.rounded(), Swift.abs(double) < 1e15 { return String(Int64(double)) }
        return String(double)
    }
}

/// One attribute as CF decoding reads it: its type (class and width) and its values.
///
/// Attributes come from the file and are hostile input: any class, any length. Strings and other non-numeric
/// classes keep no values; the decoding rules decide what is an error and what is ignored (``CFDecoding``).
struct CFAttributeValue: Sendable, Equatable, Codable {
    enum Kind: String, Sendable, Codable { case signedInteger, unsignedInteger, float, string, other }

    var kind: Kind
    /// Bytes per value as stored.
    var byteSize: Int
    /// The values, flattened (empty for strings and other classes).
    var numbers: [CFNumber]
    /// The type as a person reads it: `float32`, `int16`, `string`, ...
    var typeName: String

    var isNumeric: Bool { kind == .signedInteger || kind == .unsignedInteger || kind == .float }
}

extension HDF5 {
    /// The most values a CF attribute may hold (a `missing_value` list longer than this is refused).
    static let maximumCFAttributeValues = 1024

    /// Reads attribute `name` of the open object `object`, or nil when it has none. Throws only when HDF5
    /// cannot read an attribute that exists, or when it declares more than ``maximumCFAttributeValues`` values.
    static func cfAttribute(_ object: hid_t, _ name: String, path: String, dataset: String) throws -> CFAttributeValue? {
        guard H5Aexists(object, name) > 0 else { return nil }
        let attribute = H5Aopen(object, name, mp_h5p_default())
        let failure = { ArrayIOError(.ioFailure, path: path, dataset: dataset, "cannot read attribute '\(name)'\(lastErrorSuffix())") }
        guard attribute >= 0 else { throw failure() }
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        guard type >= 0 else { throw failure() }
        defer { H5Tclose(type) }
        let space = H5Aget_space(attribute)
        guard space >= 0 else { throw failure() }
        defer { H5Sclose(space) }
        let points = Int(H5Sget_simple_extent_npoints(space))
        let size = H5Tget_size(type)
        guard points >= 0 else { throw failure() }
        switch H5Tget_class(type) {
        case H5T_INTEGER, H5T_FLOAT:
            guard points <= maximumCFAttributeValues else {
                throw ArrayIOError(.tooLarge, path: path, dataset: dataset,
                                   "attribute '\(name)' holds \(points) values; CF decoding reads at most \(maximumCFAttributeValues) (read the raw values with --raw, library: decode: false)")
            }
            if H5Tget_class(type) == H5T_FLOAT {
                var values = [Double](repeating: 0, count: points)
                if points > 0 { guard H5Aread(attribute, mp_h5t_native_double(), &values) >= 0 else { throw failure() } }
                return CFAttributeValue(kind: .float, byteSize: size, numbers: values.map(CFNumber.init), typeName: "float\(size * 8)")
            }
            if H5Tget_sign(type) == H5T_SGN_2 {
                var values = [Int64](repeating: 0, count: points)
                if points > 0 { guard H5Aread(attribute, mp_h5t_native_int64(), &values) >= 0 else { throw failure() } }
                return CFAttributeValue(kind: .signedInteger, byteSize: size, numbers: values.map { CFNumber(integer: $0) },
                                        typeName: "int\(size * 8)")
            }
            var values = [UInt64](repeating: 0, count: points)
            if points > 0 { guard H5Aread(attribute, mp_h5t_native_uint64(), &values) >= 0 else { throw failure() } }
            let numbers = values.map { Int64(exactly: $0).map { CFNumber(integer: $0) } ?? CFNumber(Double($0)) }
            return CFAttributeValue(kind: .unsignedInteger, byteSize: size, numbers: numbers, typeName: "uint\(size * 8)")
        case H5T_STRING:
            return CFAttributeValue(kind: .string, byteSize: size, numbers: [], typeName: "string")
        default:
            return CFAttributeValue(kind: .other, byteSize: size, numbers: [], typeName: describeType(type).description)
        }
    }
}
