import CHDF5
import SharedArrays

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The value of an HDF5 attribute as the IO layer writes and reads it.
public enum HDF5AttributeValue: Sendable, Equatable, CustomStringConvertible,
    ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    /// A scalar string (written as variable-length UTF-8; h5py reads it as `str`).
    case string(String)
    /// A scalar integer (written as int64).
    case int(Int)
    /// A scalar float (written as float64).
    case double(Double)
    /// A 1-D (or, when read, flattened N-D) integer array (written as int64).
    case ints([Int])
    /// A 1-D (or, when read, flattened N-D) float array (written as float64).
    case doubles([Double])
    /// Anything else (compound, reference, string arrays, ...): its type description (read only).
    case other(String)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }

    public var description: String {
        switch self {
        case let .string(s): s
        case let .int(i): String(i)
        case let .double(d): String(d)
        case let .ints(a): a.description
        case let .doubles(a): a.description
        case let .other(s): "<\(s)>"
        }
    }
}

extension HDF5 {
    /// The attributes of `object` (a group or dataset path, `/` for the file's root) in name order.
    public static func attributes(file: String, object: String = "/") throws -> [(name: String, value: HDF5AttributeValue)] {
        let fileID = try openFile(file)
        defer { H5Fclose(fileID) }
        let name = normalized(object)
        let objectID = try openObject(file: fileID, path: file, object: name)
        defer { H5Oclose(objectID) }
        return try readAttributes(objectID, path: file, object: name)
    }

    /// Opens any object (group or dataset) by absolute path.
    static func openObject(file: hid_t, path: String, object: String) throws -> hid_t {
        if object != "/" {
            var prefix = ""
            for part in components(object) {
                prefix += "/" + part
                if H5Lexists(file, prefix, mp_h5p_default()) <= 0 {
                    throw ArrayIOError(.datasetNotFound, path: path, dataset: object,
                                       prefix == object ? "no such group or dataset" : "no such group or dataset (there is no '\(prefix)' in the file)")
                }
            }
        }
        let id = H5Oopen(file, object, mp_h5p_default())
        guard id >= 0 else {
            throw ArrayIOError(.datasetNotFound, path: path, dataset: object, "cannot open the object\(lastErrorSuffix())")
        }
        return id
    }

    static func readAttributes(_ objectID: hid_t, path: String, object: String) throws
        -> [(name: String, value: HDF5AttributeValue)] {
        final class Collector { var names: [String] = [] }
        let collector = Collector()
        var index: hsize_t = 0
        let status = withExtendedLifetime(collector) {
            H5Aiterate2(objectID, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                guard let name, let context else { return 0 }
                Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue().names.append(String(cString: name))
                return 0
            }, Unmanaged.passUnretained(collector).toOpaque())
        }
        guard status >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: object, "cannot list attributes\(lastErrorSuffix())")
        }
        return try collector.names.map { name in
            let attribute = H5Aopen(objectID, name, mp_h5p_default())
            guard attribute >= 0 else {
                throw ArrayIOError(.ioFailure, path: path, dataset: object,
                                   "cannot open attribute '\(name)'\(lastErrorSuffix())")
            }
            defer { H5Aclose(attribute) }
            return (name, try readAttribute(attribute, name: name, path: path, object: object))
        }
    }

    /// The most values an attribute may declare (8 MiB of 8-byte values): HDF5 keeps attributes in the
    /// object header or a heap, never the size of a dataset.
    static let maximumAttributeValues = 1 << 20

    static func readAttribute(_ attribute: hid_t, name: String, path: String, object: String) throws
        -> HDF5AttributeValue {
        let type = H5Aget_type(attribute)
        guard type >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: object, "cannot read attribute '\(name)'\(lastErrorSuffix())")
        }
        defer { H5Tclose(type) }
        let space = H5Aget_space(attribute)
        guard space >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: object, "cannot read attribute '\(name)'\(lastErrorSuffix())")
        }
        defer { H5Sclose(space) }
        let points = Int(H5Sget_simple_extent_npoints(space))
        let isScalar = H5Sget_simple_extent_type(space) == H5S_SCALAR
        let failure = { ArrayIOError(.ioFailure, path: path, dataset: object,
                                     "cannot read attribute '\(name)'\(lastErrorSuffix())") }
        // The value count comes from the file: an attribute declaring more values than any attribute
        // holds is refused before anything is allocated for it.
        if points > maximumAttributeValues {
            throw ArrayIOError(.tooLarge, path: path, dataset: object,
                               "attribute '\(name)' declares \(points) values; an attribute holds at most \(maximumAttributeValues)")
        }
        switch H5Tget_class(type) {
        case H5T_STRING where points == 1:
            guard let text = mp_h5_read_string_attribute(attribute) else { throw failure() }
            defer { free(text) }
            return .string(String(cString: text))
        case H5T_INTEGER where points >= 0:
            var values = [Int64](repeating: 0, count: points)
            if points > 0 {
                guard H5Aread(attribute, mp_h5t_native_int64(), &values) >= 0 else { throw failure() }
            }
            return isScalar && points == 1 ? .int(Int(values[0])) : .ints(values.map { Int($0) })
        case H5T_FLOAT where points >= 0:
            var values = [Double](repeating: 0, count: points)
            if points > 0 {
                guard H5Aread(attribute, mp_h5t_native_double(), &values) >= 0 else { throw failure() }
            }
            return isScalar && points == 1 ? .double(values[0]) : .doubles(values)
        default:
            let description = describeType(type).description
            return .other(points == 1 ? description : "\(description) array of \(points)")
        }
    }
}
