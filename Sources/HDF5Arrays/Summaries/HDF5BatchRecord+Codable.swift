import SharedArrays

/// Records as values a program can send to another process (the ranks of a distributed batch send theirs
/// to rank 0): every field, with the statistics' values bit for bit (NaN and a missing value stay apart).
extension HDF5BatchRecord: Codable {
    private enum CodingKeys: String, CodingKey {
        case file, dataset, pattern, status, message, dtype, storedType, shape, layout, filters, bytes
        case statisticNames, statisticBits, statisticCount, ddof, fileSize, fileModified
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let rawStatus = try c.decode(String.self, forKey: .status)
        guard let status = Status(rawValue: rawStatus) else {
            throw DecodingError.dataCorruptedError(forKey: .status, in: c, debugDescription: "unknown record status '\(rawStatus)'")
        }
        var statistics: Statistics?
        if let names = try c.decodeIfPresent([Statistic].self, forKey: .statisticNames) {
            let bits = try c.decode([UInt64?].self, forKey: .statisticBits)
            guard bits.count == names.count else {
                throw DecodingError.dataCorruptedError(
                    forKey: .statisticBits, in: c, debugDescription: "\(bits.count) values for \(names.count) statistics")
            }
            statistics = Statistics(
                values: zip(names, bits).map { ($0, $1.map(Double.init(bitPattern:))) },
                count: try c.decode(Int.self, forKey: .statisticCount))
        }
        self.init(
            file: try c.decode(String.self, forKey: .file), dataset: try c.decodeIfPresent(String.self, forKey: .dataset),
            pattern: try c.decode(String.self, forKey: .pattern), status: status,
            message: try c.decodeIfPresent(String.self, forKey: .message), dtype: try c.decodeIfPresent(DType.self, forKey: .dtype),
            storedType: try c.decodeIfPresent(String.self, forKey: .storedType),
            shape: try c.decodeIfPresent([Int].self, forKey: .shape), layout: try c.decodeIfPresent(String.self, forKey: .layout),
            filters: try c.decode([String].self, forKey: .filters), bytes: try c.decode(Int.self, forKey: .bytes),
            statistics: statistics, ddof: try c.decode(Int.self, forKey: .ddof), fileSize: try c.decode(Int.self, forKey: .fileSize),
            fileModified: try c.decode(Int64.self, forKey: .fileModified))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(file, forKey: .file)
        try c.encodeIfPresent(dataset, forKey: .dataset)
        try c.encode(pattern, forKey: .pattern)
        try c.encode(status.rawValue, forKey: .status)
        try c.encodeIfPresent(message, forKey: .message)
        try c.encodeIfPresent(dtype, forKey: .dtype)
        try c.encodeIfPresent(storedType, forKey: .storedType)
        try c.encodeIfPresent(shape, forKey: .shape)
        try c.encodeIfPresent(layout, forKey: .layout)
        try c.encode(filters, forKey: .filters)
        try c.encode(bytes, forKey: .bytes)
        if let statistics {
            try c.encode(statistics.values.map(\.0), forKey: .statisticNames)
            try c.encode(statistics.values.map { $0.1?.bitPattern }, forKey: .statisticBits)
            try c.encode(statistics.count, forKey: .statisticCount)
        }
        try c.encode(ddof, forKey: .ddof)
        try c.encode(fileSize, forKey: .fileSize)
        try c.encode(fileModified, forKey: .fileModified)
    }
}
