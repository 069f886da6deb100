import SharedArrays

/// How the CF conventions turn a variable's stored values into the values they stand for, as netCDF4-python
/// and xarray decode them by default: unpacking (`scale_factor`, `add_offset`) and masking (`_FillValue`,
/// `missing_value`, `valid_min`, `valid_max`, `valid_range`, and netCDF's default fill value in netCDF-4 files).
///
/// - Masking is decided in the packed (stored) domain, before unpacking, as the CF rules say: an element equal
///   to the fill value or to one of the missing values, or outside the valid range, becomes NaN. A mask
///   attribute whose value the stored type cannot hold exactly is ignored (netCDF4-python's "safe cast" rule),
///   and so is one that is not a number or has the wrong number of values; each is listed in ``notes``.
/// - Unpacking is `stored * scale_factor + add_offset`, in numpy's types, as netCDF4-python computes it: the
///   product in float32 when `scale_factor` is float32 and the stored type is at most 16-bit integer or float32,
///   else float64; the sum in float64 when `add_offset` is float64 (or the product is). Integer-typed
///   `scale_factor`/`add_offset` are applied in float64. A `scale_factor` or `add_offset` that is not one finite
///   number is an error (decoding it would give wrong values; read the raw values instead).
/// - The decoded type (``unpackedDType``) is float32 or float64: with masks only, float32 for integers up to
///   16 bits and floats up to 32 bits, else float64 (xarray's rule).
///
/// ```swift
/// if let cf = try HDF5.cfDecoding(file: "obs.nc", dataset: "/temperature") { print(cf.summary) }
/// ```
public struct CFDecoding: Sendable, Equatable, Codable {
    /// The stored element type: its class and width.
    public struct StoredType: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable { case signedInteger, unsignedInteger, float }
        public var kind: Kind
        /// Bytes per stored value.
        public var byteSize: Int
        /// The type the stored values are read as before decoding (an exact widening).
        public var packedDType: DType

        public init(kind: Kind, byteSize: Int, packedDType: DType) {
            self.kind = kind
            self.byteSize = byteSize
            self.packedDType = packedDType
        }

        var name: String {
            switch kind {
            case .signedInteger: "int\(byteSize * 8)"
            case .unsignedInteger: "uint\(byteSize * 8)"
            case .float: "float\(byteSize * 8)"
            }
        }

        /// Whether float32 holds every stored value (numpy then keeps a float32 product in float32).
        var fitsFloat32: Bool { kind == .float ? byteSize <= 4 : byteSize <= 2 }

        /// Whether the stored type holds `value` exactly (NaN and ±inf only in floats).
        func holds(_ value: CFNumber) -> Bool {
            switch kind {
            case .float:
                return byteSize >= 8 || value.double.isNaN || Double(Float(value.double)) == value.double
            case .signedInteger:
                guard let v = value.integer ?? Int64(exactly: value.double) else { return false }
                guard byteSize < 8 else { return true }
                let bits = Int64(byteSize * 8 - 1)
                return v >= -(1 << bits) && v < (1 << bits)
            case .unsignedInteger:
                if let v = value.integer ?? Int64(exactly: value.double) {
                    return v >= 0 && (byteSize >= 8 || v < (Int64(1) << Int64(byteSize * 8)))
                }
                return byteSize >= 8 && UInt64(exactly: value.double) != nil
            }
        }

        /// netCDF's default fill value for this type (`NC_FILL_SHORT`, ...); nil where none is defined or
        /// where the read type cannot hold it (uint64 values past 2^63-1 are read saturated).
        var netCDFDefaultFill: CFNumber? {
            switch (kind, byteSize) {
            case (.signedInteger, 1): CFNumber(integer: -127)
            case (.unsignedInteger, 1): CFNumber(integer: 255)
            case (.signedInteger, 2): CFNumber(integer: -32767)
            case (.unsignedInteger, 2): CFNumber(integer: 65535)
            case (.signedInteger, 4): CFNumber(integer: -2_147_483_647)
            case (.unsignedInteger, 4): CFNumber(integer: 4_294_967_295)
            case (.signedInteger, 8): CFNumber(integer: -9_223_372_036_854_775_806)
            case (.float, 4): CFNumber(Double(Float(9.969209968386869e+36)))  // 9.96921e+36f
            case (.float, 8): CFNumber(9.969209968386869e+36)
            default: nil
            }
        }
    }

    /// The stored type.
    public var stored: StoredType
    /// The type of the decoded values: float32 or float64.
    public var unpackedDType: DType
    /// The type `stored * scale_factor` is computed in (float32 or float64).
    public var productDType: DType
    /// `scale_factor`, when it is applied (netCDF4-python skips a factor of 1 with no offset to add).
    public var scaleFactor: Double?
    /// `add_offset`, when it is applied.
    public var addOffset: Double?
    /// Stored values that are masked: `_FillValue` (or netCDF's default fill) and `missing_value`'s values.
    public var maskedValues: [CFNumber]
    /// Whether NaN is masked (a NaN fill or missing value of a float variable).
    public var masksNaN: Bool
    /// Stored values below this are masked.
    public var validMin: CFNumber?
    /// Stored values above this are masked.
    public var validMax: CFNumber?
    /// The attributes applied, as a person reads them: `scale_factor 0.01 (float32)`, `_FillValue -32767`, ...
    public var rules: [String]
    /// Attributes present but not applied, each with the reason.
    public var notes: [String]

    /// Whether any element can be masked: statistics of such a variable skip masked (NaN) values.
    public var masks: Bool { !maskedValues.isEmpty || masksNaN || validMin != nil || validMax != nil }

    /// Whether decoding changes anything: false for a variable without CF attributes.
    public var isActive: Bool { masks || scaleFactor != nil || addOffset != nil || unpackedOnly }

    /// `scale_factor`/`add_offset` present but both neutral: the values are only converted.
    var unpackedOnly: Bool

    /// One line: `int16 -> float32: scale_factor 0.01 (float32), add_offset 20 (float32); masked: _FillValue -32767`.
    public var summary: String {
        let packing = rules.filter { $0.hasPrefix("scale_factor") || $0.hasPrefix("add_offset") }
        let masking = rules.filter { !packing.contains($0) }
        var text = "\(stored.name) -> \(unpackedDType.rawValue)"
        if !packing.isEmpty { text += ": " + packing.joined(separator: ", ") }
        if !masking.isEmpty { text += "; masked: " + masking.joined(separator: ", ") }
        return text
    }

    /// The names of the attributes the decoding reads.
    static let attributeNames = ["scale_factor", "add_offset", "_FillValue", "missing_value", "valid_min", "valid_max",
                                 "valid_range"]

    /// The decoding of a variable of type `stored` with `attributes` (by name; only the CF ones are looked at),
    /// or nil when there is nothing to decode.
    ///
    /// - Parameters:
    ///   - netCDFDefaultFill: apply netCDF's default fill value when there is no `_FillValue` (netCDF4-python
    ///     does so in netCDF-4 files: always for types wider than a byte, for bytes while filling is on).
    ///   - path, dataset: for the error message.
    /// - Throws: an ``ArrayIOError`` when `scale_factor` or `add_offset` is not one finite number.
    init?(stored: StoredType, attributes: [String: CFAttributeValue], netCDFDefaultFill: Bool,
          path: String, dataset: String) throws {
        self.stored = stored
        var rules: [String] = [], notes: [String] = []

        // Packing: one finite number each, or an error.
        func packing(_ name: String) throws -> (value: Double, dtype: DType)? {
            guard let attribute = attributes[name] else { return nil }
            let fix = "CF decoding needs one finite number (read the raw values with --raw, library: decode: false)"
            guard attribute.isNumeric else {
                throw ArrayIOError(.invalidFormat, path: path, dataset: dataset,
                                   "attribute '\(name)' is a \(attribute.typeName), not a number; \(fix)")
            }
            guard attribute.numbers.count == 1 else {
                throw ArrayIOError(.invalidFormat, path: path, dataset: dataset,
                                   "attribute '\(name)' holds \(attribute.numbers.count) values; \(fix)")
            }
            let value = attribute.numbers[0].double
            guard value.isFinite else {
                throw ArrayIOError(.invalidFormat, path: path, dataset: dataset,
                                   "attribute '\(name)' is \(attribute.numbers[0]); \(fix)")
            }
            let dtype: DType = attribute.kind == .float && attribute.byteSize <= 4 ? .float32 : .float64
            return (value, dtype)
        }
        let scale = try packing("scale_factor")
        let offset = try packing("add_offset")

        // Types, as numpy promotes `stored * scale_factor + add_offset`.
        let base: DType = stored.fitsFloat32 ? .float32 : .float64
        productDType = scale?.dtype == .float64 ? .float64 : base
        unpackedDType = offset?.dtype == .float64 ? .float64 : productDType

        // netCDF4-python applies both only when they change something, and each alone only when not neutral.
        switch (scale, offset) {
        case let (s?, o?):
            let neutral = s.value == 1 && o.value == 0
            scaleFactor = neutral ? nil : s.value
            addOffset = neutral ? nil : o.value
        case let (s?, nil): scaleFactor = s.value == 1 ? nil : s.value; addOffset = nil
        case let (nil, o?): scaleFactor = nil; addOffset = o.value == 0 ? nil : o.value
        case (nil, nil): scaleFactor = nil; addOffset = nil
        }
        unpackedOnly = scale != nil || offset != nil
        if let scale { rules.append("scale_factor \(Self.describe(scale)) (\(attributes["scale_factor"]!.typeName))") }
        if let offset { rules.append("add_offset \(Self.describe(offset)) (\(attributes["add_offset"]!.typeName))") }

        // Masks, in the stored type. A value the stored type cannot hold is never stored: the rule is ignored.
        func maskValues(_ name: String, scalar: Bool) -> [CFNumber]? {
            guard let attribute = attributes[name] else { return nil }
            guard attribute.isNumeric else {
                notes.append("\(name) ignored: it is a \(attribute.typeName), not a number")
                return nil
            }
            guard !attribute.numbers.isEmpty, !scalar || attribute.numbers.count == 1 else {
                notes.append("\(name) ignored: it holds \(attribute.numbers.count) values, not one")
                return nil
            }
            if let bad = attribute.numbers.first(where: { !stored.holds($0) || !Self.readable($0, as: stored.packedDType) }) {
                notes.append("\(name) ignored: \(stored.name) cannot hold \(bad)")
                return nil
            }
            return attribute.numbers
        }
        var masked: [CFNumber] = []
        if let missing = maskValues("missing_value", scalar: false) {
            masked += missing
            rules.append("missing_value " + (missing.count == 1 ? "\(missing[0])" : "[\(missing.map(\.description).joined(separator: ", "))]"))
        }
        if attributes["_FillValue"] != nil {
            if let fill = maskValues("_FillValue", scalar: true) {
                masked += fill
                rules.append("_FillValue \(fill[0])")
            }
        } else if netCDFDefaultFill, let fill = stored.netCDFDefaultFill {
            masked.append(fill)
            rules.append("netCDF default fill \(fill)")
        }
        masksNaN = stored.kind == .float && masked.contains { $0.double.isNaN }
        var seen = Set<String>()
        maskedValues = masked.filter { !$0.double.isNaN && seen.insert($0.description).inserted }
        validMin = nil
        validMax = nil
        if attributes["valid_range"] != nil, let range = maskValues("valid_range", scalar: false) {
            if range.count == 2 {
                validMin = range[0]
                validMax = range[1]
                rules.append("valid_range [\(range[0]), \(range[1])]")
            } else {
                notes.append("valid_range ignored: it holds \(range.count) values, not two")
            }
        }
        if validMin == nil && validMax == nil {
            if let low = maskValues("valid_min", scalar: true) {
                validMin = low[0]
                rules.append("valid_min \(low[0])")
            }
            if let high = maskValues("valid_max", scalar: true) {
                validMax = high[0]
                rules.append("valid_max \(high[0])")
            }
        } else {
            for name in ["valid_min", "valid_max"] where attributes[name] != nil {
                notes.append("\(name) ignored: valid_range is given")
            }
        }
        self.rules = rules
        self.notes = notes
        if !isActive && notes.isEmpty { return nil }
    }

    /// A packing attribute as a person reads it: a float32 value in float32's shortest form (`0.01`).
    private static func describe(_ attribute: (value: Double, dtype: DType)) -> String {
        let number = CFNumber(attribute.value)
        guard attribute.dtype == .float32, attribute.value != attribute.value.rounded() else { return number.description }
        return String(Float(attribute.value))
    }

    /// Whether `value` converts exactly to the type the stored values are read as (uint64 values past 2^63-1
    /// are read saturated, so a mask value there cannot be compared).
    static func readable(_ value: CFNumber, as dtype: DType) -> Bool {
        switch dtype {
        case .int64: value.integer != nil || Int64(exactly: value.double) != nil
        default: true
        }
    }
}

extension CFDecoding {
    /// Throws unless decoded values can be loaded as `dtype` (a float type).
    func checkLoadable(as dtype: DType, file: String, dataset: String) throws {
        guard dtype.isFloatingPoint else {
            throw ArrayIOError(.unsupportedType, path: file, dataset: dataset,
                               "CF decoding gives \(unpackedDType.rawValue) values (\(summary)), which do not load as \(dtype.rawValue); load them as Float or Double, or read the raw values with decode: false (--raw)")
        }
    }
}
