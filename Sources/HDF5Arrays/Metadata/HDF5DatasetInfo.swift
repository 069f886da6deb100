import CHDF5
import SharedArrays

/// What an HDF5 dataset holds and how it is stored.
public struct HDF5DatasetInfo: Sendable, Equatable, Codable {
    /// How the dataset's data is laid out in the file.
    public enum Layout: String, Sendable, Equatable, Codable {
        case contiguous, chunked, compact, virtual
    }

    /// The dataset's absolute path in the file, e.g. `/readings/temperature`.
    public var path: String
    /// The dataset's shape; `[]` for a scalar dataset.
    public var shape: [Int]
    /// The ``DType`` to load the values as: the stored type when ``DType`` has it, otherwise the smallest
    /// ``DType`` that holds every value (int8 → int16, uint16 → int32, uint32 and uint64 → int64,
    /// float16 → float32, wider floats → float64; HDF5 converts on read). An enum loads as its integer
    /// base (h5py's bool enum as uint8 0/1), a bitfield as the unsigned integer of its size. With ``field``
    /// set, the field's type. `nil` when the values are not numbers (string, compound without a field,
    /// opaque, reference, vlen, array).
    public var dtype: DType?
    /// The stored type as a person reads it: `float64 little-endian`, `int16 big-endian`, `uint8`, `uint32
    /// little-endian`, `string`, `compound`, ...
    public var typeDescription: String
    /// The storage layout.
    public var layout: Layout
    /// The chunk shape, for chunked datasets.
    public var chunkShape: [Int]?
    /// The filter pipeline in order, e.g. `["shuffle", "gzip"]`.
    public var filters: [String]
    /// The members of a compound dataset (a table, as PyTables writes), in order; `[]` for other types.
    public var fields: [Field]
    /// The compound member this description reads (see ``selecting(field:file:)``), or nil.
    public var field: String?

    /// One member of a compound datatype.
    public struct Field: Sendable, Equatable, Codable {
        /// The member's name.
        public var name: String
        /// Its stored type as a person reads it.
        public var typeDescription: String
        /// The ``DType`` it loads as, or nil when it is not a number.
        public var dtype: DType?

        public init(name: String, typeDescription: String, dtype: DType?) {
            self.name = name
            self.typeDescription = typeDescription
            self.dtype = dtype
        }
    }

    public init(path: String, shape: [Int], dtype: DType?, typeDescription: String, layout: Layout,
                chunkShape: [Int]?, filters: [String], fields: [Field] = [], field: String? = nil) {
        self.path = path
        self.shape = shape
        self.dtype = dtype
        self.typeDescription = typeDescription
        self.layout = layout
        self.chunkShape = chunkShape
        self.filters = filters
        self.fields = fields
        self.field = field
    }

    private enum CodingKeys: String, CodingKey {
        case path, shape, dtype, typeDescription, layout, chunkShape, filters, fields, field
    }

    /// Decodes a description; one encoded before compound fields were described has none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            path: try container.decode(String.self, forKey: .path), shape: try container.decode([Int].self, forKey: .shape),
            dtype: try container.decodeIfPresent(DType.self, forKey: .dtype),
            typeDescription: try container.decode(String.self, forKey: .typeDescription),
            layout: try container.decode(Layout.self, forKey: .layout),
            chunkShape: try container.decodeIfPresent([Int].self, forKey: .chunkShape),
            filters: try container.decode([String].self, forKey: .filters),
            fields: try container.decodeIfPresent([Field].self, forKey: .fields) ?? [],
            field: try container.decodeIfPresent(String.self, forKey: .field))
    }

    /// The number of elements (1 for a scalar dataset); `Int.max` when the declared shape has more
    /// elements than an `Int` holds (such a dataset is refused by every ``SizeLimit``, before any read).
    public var count: Int { CheckedSize.elementCount(shape) ?? .max }

    /// The declared in-memory size in `dtype` after the admission rule, or an error naming the file, the
    /// dataset, its declared shape and size, and the limit.
    /// - Parameter file: the file the dataset is in, for the error message.
    public func admittedBytes(as dtype: DType, limit: SizeLimit, file: String) throws -> Int {
        try limit.admit(shape: shape, dtype: dtype, path: file, dataset: path)
    }

    /// Whether the values can be read as numbers.
    public var isNumeric: Bool { dtype != nil }

    /// The description of compound member `name`'s values: ``dtype`` and ``typeDescription`` are the
    /// member's, ``field`` is `name`. Throws, listing the fields, when the dataset is not compound, has no
    /// such member or the member is not a number.
    /// - Parameter file: the file the dataset is in, for the error message.
    public func selecting(field name: String, file: String) throws -> HDF5DatasetInfo {
        guard !fields.isEmpty else {
            throw ArrayIOError(.invalidArgument, path: file, dataset: path,
                               "a field was asked for ('\(name)') but the dataset has type \(typeDescription), not compound")
        }
        guard let member = fields.first(where: { $0.name == name }) else {
            throw ArrayIOError(.invalidArgument, path: file, dataset: path,
                               "no field '\(name)' in the compound dataset; fields: \(fieldList)")
        }
        guard let dtype = member.dtype else {
            throw ArrayIOError(.unsupportedType, path: file, dataset: path,
                               "field '\(name)' has type \(member.typeDescription), not a number; numeric fields: \(numericFieldNames)")
        }
        var selected = self
        selected.dtype = dtype
        selected.typeDescription = "\(member.typeDescription) (field '\(name)' of a compound)"
        selected.field = name
        return selected
    }

    /// The fields as `name (type), ...`.
    public var fieldList: String {
        fields.map { "\($0.name) (\($0.typeDescription))" }.joined(separator: ", ")
    }

    private var numericFieldNames: String {
        let names = fields.filter { $0.dtype != nil }.map(\.name)
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }

    /// Why the values cannot be read as numbers, as one line (nil when they can): names the stored type, and
    /// for a compound dataset its fields and how to choose one.
    public var notNumericReason: String? {
        guard dtype == nil else { return nil }
        if !fields.isEmpty {
            return "dataset is a compound (table) with fields \(fieldList); choose a numeric one (\(numericFieldNames)) with --field NAME (library: field:)"
        }
        return "dataset has type \(typeDescription), not a number (numbers, enums, bitfields and numeric compound fields are read)"
    }

    /// The ``ArrayIOError`` for a dataset that does not hold numbers (see ``notNumericReason``).
    public func notNumericError(file: String) -> ArrayIOError {
        ArrayIOError(.unsupportedType, path: file, dataset: path, notNumericReason ?? "dataset holds numbers")
    }
}

extension HDF5 {
    /// Describes an HDF5 datatype: a readable name and the ``DType`` to load it as (nil if not a number).
    ///
    /// Read as h5py reads them: an enum as its integer base type (h5py's bool, an int8 enum FALSE=0/TRUE=1, as
    /// uint8 0/1), a bitfield as the unsigned integer of its size, float16 widened to float32 (exact: every
    /// float16 is a float32, and float32 is the narrowest ``DType`` that holds them).
    static func describeType(_ type: hid_t) -> (description: String, dtype: DType?) {
        let typeClass = H5Tget_class(type)
        let size = H5Tget_size(type)
        let bigEndian = H5Tget_order(type) == H5T_ORDER_BE
        let order = size > 1 ? (bigEndian ? " big-endian" : " little-endian") : ""
        switch typeClass {
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            return ((signed ? "int" : "uint") + "\(size * 8)" + order, integerDType(signed: signed, size: size))
        case H5T_FLOAT:
            let dtype: DType? = size <= 4 ? .float32 : .float64
            return ("float\(size * 8)" + order, dtype)
        case H5T_ENUM:
            let base = H5Tget_super(type)
            guard base >= 0 else { return ("enum", nil) }
            defer { H5Tclose(base) }
            let (baseName, baseDType) = describeType(base)
            if isBoolEnum(type, base: base) { return ("bool (enum of \(baseName) FALSE=0, TRUE=1)", .uint8) }
            return ("enum of \(baseName)", baseDType)
        case H5T_BITFIELD:
            return ("bitfield\(size * 8)" + order, integerDType(signed: false, size: size))
        case H5T_STRING:
            return (H5Tis_variable_str(type) > 0 ? "string (variable length)" : "string (fixed length \(size))", nil)
        case H5T_COMPOUND: return ("compound", nil)
        case H5T_OPAQUE: return ("opaque", nil)
        case H5T_REFERENCE: return ("reference", nil)
        case H5T_VLEN: return ("vlen (variable-length sequence)", nil)
        case H5T_ARRAY: return ("array", nil)
        case H5T_TIME: return ("time", nil)
        default: return ("unknown", nil)
        }
    }

    /// The ``DType`` an integer of `size` bytes loads as: the same type when ``DType`` has it, otherwise the
    /// smallest wider one (int8 → int16, uint16 → int32, uint32 and uint64 → int64).
    private static func integerDType(signed: Bool, size: Int) -> DType? {
        switch (signed, size) {
        case (true, 1), (true, 2): return .int16
        case (true, 4): return .int32
        case (true, 8): return .int64
        case (false, 1): return .uint8
        case (false, 2): return .int32
        case (false, 4), (false, 8): return .int64
        default: return nil
        }
    }

    /// Whether an enum is h5py's bool: a 1-byte integer base with exactly the members FALSE=0 and TRUE=1.
    private static func isBoolEnum(_ type: hid_t, base: hid_t) -> Bool {
        guard H5Tget_class(base) == H5T_INTEGER, H5Tget_size(base) == 1, H5Tget_nmembers(type) == 2 else { return false }
        var members: [String: Int8] = [:]
        for index in 0..<UInt32(2) {
            guard let name = H5Tget_member_name(type, index) else { return false }
            defer { H5free_memory(name) }
            var value: Int8 = 0
            // The value as the 1-byte base stores it.
            guard H5Tget_member_value(type, index, &value) >= 0 else { return false }
            members[String(cString: name)] = value
        }
        return members == ["FALSE": 0, "TRUE": 1]
    }

    /// The members of a compound datatype in order, each with its readable type and ``DType``; `[]` for any
    /// other class.
    static func compoundFields(_ type: hid_t) -> [HDF5DatasetInfo.Field] {
        guard H5Tget_class(type) == H5T_COMPOUND else { return [] }
        let count = H5Tget_nmembers(type)
        guard count > 0 else { return [] }
        var fields: [HDF5DatasetInfo.Field] = []
        for index in 0..<UInt32(count) {
            guard let cName = H5Tget_member_name(type, index) else { continue }
            let name = String(cString: cName)
            H5free_memory(cName)
            let memberType = H5Tget_member_type(type, index)
            guard memberType >= 0 else { continue }
            let (description, dtype) = describeType(memberType)
            H5Tclose(memberType)
            fields.append(HDF5DatasetInfo.Field(name: name, typeDescription: description, dtype: dtype))
        }
        return fields
    }

    /// A readable name for an HDF5 filter id: the usual short name of a registered filter, else the name the
    /// file records (up to its first `;`, which starts a URL in some plugins' names) with the id.
    static func filterName(_ id: H5Z_filter_t, reported: String) -> String {
        switch id {
        case H5Z_FILTER_DEFLATE: return "gzip"
        case H5Z_FILTER_SHUFFLE: return "shuffle"
        case H5Z_FILTER_FLETCHER32: return "fletcher32"
        case H5Z_FILTER_SZIP: return "szip"
        case H5Z_FILTER_NBIT: return "nbit"
        case H5Z_FILTER_SCALEOFFSET: return "scaleoffset"
        default:
            if let name = registeredFilterNames[id] { return name }
            let short = reported.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            return short.isEmpty ? "filter \(id)" : "\(short) (filter \(id))"
        }
    }

    /// A filter as named in an error: `zstd (filter id 32015)`.
    static func filterLabel(_ id: H5Z_filter_t, reported: String) -> String {
        let name = filterName(id, reported: reported)
        return name.hasSuffix("(filter \(id))") ? name : "\(name) (filter id \(id))"
    }

    /// Short names of filters registered with The HDF Group that plugins provide.
    private static let registeredFilterNames: [H5Z_filter_t: String] = [
        305: "lzo", 307: "bzip2", 32000: "lzf", 32001: "blosc", 32004: "lz4", 32008: "bitshuffle", 32013: "zfp",
        32015: "zstd", 32017: "sz", 32024: "sz3", 32026: "blosc2",
    ]

    /// The shape of a dataspace (`[]` for scalar, `[0]` for null).
    static func shape(ofSpace space: hid_t) -> [Int]? {
        let kind = H5Sget_simple_extent_type(space)
        if kind == H5S_NULL { return [0] }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { return nil }
        if rank == 0 { return [] }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else { return nil }
        // A dimension past Int.max cannot be addressed: nil makes it an error, not a trap.
        let shape = dims.compactMap { Int(exactly: $0) }
        return shape.count == dims.count ? shape : nil
    }

    /// Collects the info of an open dataset.
    static func info(dataset: hid_t, name: String, path: String) throws -> HDF5DatasetInfo {
        let space = H5Dget_space(dataset)
        guard space >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot read the dataspace\(lastErrorSuffix())")
        }
        defer { H5Sclose(space) }
        guard let shape = shape(ofSpace: space) else {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "cannot read the shape (or a dimension is larger than \(Int.max))\(lastErrorSuffix())")
        }
        let type = H5Dget_type(dataset)
        guard type >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot read the datatype\(lastErrorSuffix())")
        }
        defer { H5Tclose(type) }
        let (description, dtype) = describeType(type)

        let dcpl = H5Dget_create_plist(dataset)
        guard dcpl >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name,
                               "cannot read the creation properties\(lastErrorSuffix())")
        }
        defer { H5Pclose(dcpl) }
        let layout: HDF5DatasetInfo.Layout
        var chunkShape: [Int]? = nil
        switch H5Pget_layout(dcpl) {
        case H5D_COMPACT: layout = .compact
        case H5D_CHUNKED:
            layout = .chunked
            var dims = [hsize_t](repeating: 0, count: max(shape.count, 1))
            let rank = H5Pget_chunk(dcpl, Int32(dims.count), &dims)
            if rank > 0 {
                let chunk = dims.prefix(Int(rank)).compactMap { Int(exactly: $0) }
                guard chunk.count == min(Int(rank), dims.count) else {
                    throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                                       "chunk dimensions \(Array(dims.prefix(Int(rank)))) are larger than \(Int.max)")
                }
                chunkShape = chunk
            }
        case H5D_VIRTUAL: layout = .virtual
        default: layout = .contiguous
        }
        var filters: [String] = []
        let filterCount = H5Pget_nfilters(dcpl)
        if filterCount > 0 {
            for index in 0..<UInt32(filterCount) {
                var flags: UInt32 = 0
                var valueCount = 8
                var values = [UInt32](repeating: 0, count: 8)
                var nameBuffer = [CChar](repeating: 0, count: 256)
                var config: UInt32 = 0
                let id = H5Pget_filter2(dcpl, index, &flags, &valueCount, &values, nameBuffer.count, &nameBuffer,
                                        &config)
                let reported = nameBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                filters.append(filterName(id, reported: reported))
            }
        }
        return HDF5DatasetInfo(path: name, shape: shape, dtype: dtype, typeDescription: description, layout: layout,
                               chunkShape: chunkShape, filters: filters, fields: compoundFields(type))
    }

    /// ``datasetInfo(file:dataset:)`` in this process, for workers (already isolated) and the fuzz target: a
    /// crash inside the HDF5 library on a damaged file takes the calling process down.
    @_spi(InProcess) public static func datasetInfoInProcess(file: String, dataset: String) throws -> HDF5DatasetInfo {
        let fileID = try openFile(file)
        defer { H5Fclose(fileID) }
        let datasetID = try openDataset(file: fileID, path: file, dataset: dataset)
        defer { H5Dclose(datasetID) }
        return try info(dataset: datasetID, name: normalized(dataset), path: file)
    }

    /// ``listDatasets(file:)`` in this process, for workers (already isolated) and the fuzz target: a crash
    /// inside the HDF5 library on a damaged file takes the calling process down.
    @_spi(InProcess) public static func listDatasetsInProcess(file: String) throws -> [HDF5DatasetInfo] {
        let fileID = try openFile(file)
        defer { H5Fclose(fileID) }
        let names: [String]
        do {
            names = try datasetNames(file: fileID)
        } catch let error as VisitError {
            throw ArrayIOError(.ioFailure, path: file, "cannot list the datasets: \(error.message)")
        }
        return try names.sorted().map { name in
            let datasetID = mp_h5dopen(fileID, name)
            guard datasetID >= 0 else {
                throw ArrayIOError(.ioFailure, path: file, dataset: name, "cannot open the dataset\(lastErrorSuffix())")
            }
            defer { H5Dclose(datasetID) }
            return try info(dataset: datasetID, name: name, path: file)
        }
    }
}
