import SharedArrays

/// The summary as a table: CSV and JSON text, and back.
enum SummaryTable {
    static let leadingColumns = ["file", "dataset", "status"]
    static let trailingColumns = [
        "dtype", "stored_type", "shape", "layout", "filters", "bytes", "ddof", "pattern", "file_size", "file_mtime_ns",
        "message",
    ]

    static func columns(_ statistics: [Statistic]) -> [String] {
        leadingColumns + statistics.map(\.rawValue) + trailingColumns
    }

    // MARK: - CSV

    static func csv(_ summary: HDF5BatchSummary) -> String {
        var lines = [columns(summary.statistics).map(csvField).joined(separator: ",")]
        for r in summary.records {
            var cells = [r.file, r.dataset ?? "", r.status.rawValue]
            for s in summary.statistics { cells.append(number(r.statistics?[s], integer: s.isInteger)) }
            cells += [
                r.dtype?.rawValue ?? "", r.storedType ?? "", shapeText(r.shape), r.layout ?? "",
                r.filters.joined(separator: "+"), r.status == .ok ? String(r.bytes) : "", String(r.ddof), r.pattern,
                String(r.fileSize), String(r.fileModified), r.message ?? "",
            ]
            lines.append(cells.map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A number as text that reads back exactly: integers without a fraction, floats in Swift's shortest
    /// round-trip form, `nan`, `inf`, `-inf`; "" when missing.
    static func number(_ value: Double?, integer: Bool) -> String {
        guard let value else { return "" }
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if integer, let exact = Int64(exactly: value) { return String(exact) }
        return "\(value)"
    }

    static func shapeText(_ shape: [Int]?) -> String {
        guard let shape else { return "" }
        return shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "x")
    }

    static func parseShape(_ text: String) -> [Int]? {
        if text.isEmpty { return nil }
        if text == "scalar" { return [] }
        let parts = text.split(separator: "x").compactMap { Int($0) }
        return parts.isEmpty ? nil : parts
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingAll("\"", with: "\"\"") + "\""
    }

    /// RFC 4180 rows (quoted fields may hold commas, quotes and line breaks).
    static func csvRows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [Unicode.Scalar] = []
        var quoted = false
        var scalars = Array(text.unicodeScalars)[...]
        func endField() {
            var s = ""
            s.unicodeScalars.append(contentsOf: field)
            row.append(s)
            field = []
        }
        while let c = scalars.popFirst() {
            if quoted {
                if c == "\"" {
                    if scalars.first == "\"" {
                        field.append("\"")
                        scalars = scalars.dropFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                endField()
            } else if c == "\n" || c == "\r" {
                if c == "\r" && scalars.first == "\n" { scalars = scalars.dropFirst() }
                endField()
                rows.append(row)
                row = []
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            endField()
            rows.append(row)
        }
        return rows
    }

    static func parseCSV(_ text: String, path: String) throws -> [HDF5BatchRecord] {
        let rows = csvRows(text)
        guard let header = rows.first, header.starts(with: leadingColumns) else {
            throw ArrayIOError(.invalidFormat, path: path, "not an mproc batch summary (the header does not start with file,dataset,status)")
        }
        return try rows.dropFirst().enumerated().map { line, cells in
            var fields: [String: String] = [:]
            for (name, value) in zip(header, cells) { fields[name] = value }
            return try record(path: path, row: line + 2, header: header) { name in
                guard let text = fields[name] else { return nil }
                return .text(text)
            }
        }
    }

    // MARK: - JSON

    static func json(_ summary: HDF5BatchSummary) -> String {
        var out = "{\n"
        out += "  \"tool\": \(jsonString(HDF5Batch.toolName)), \"tool_version\": \(jsonString(HDF5Batch.toolVersion)),\n"
        out += "  \"statistics\": [" + summary.statistics.map { jsonString($0.rawValue) }.joined(separator: ", ") + "],\n"
        out += "  \"ddof\": \(summary.ddof), \"files\": \(summary.fileCount), \"failed_files\": \(summary.failedFiles.count),"
        out += " \"datasets\": \(summary.results.count),\n"
        out += "  \"records\": ["
        for (i, r) in summary.records.enumerated() {
            var fields: [(String, String)] = [
                ("file", jsonString(r.file)), ("dataset", r.dataset.map(jsonString) ?? "null"),
                ("status", jsonString(r.status.rawValue)),
            ]
            for s in summary.statistics {
                let value = r.statistics?[s]
                fields.append((s.rawValue, value.map { $0.isFinite ? number($0, integer: s.isInteger) : "null" } ?? "null"))
            }
            fields += [
                ("dtype", r.dtype.map { jsonString($0.rawValue) } ?? "null"),
                ("stored_type", r.storedType.map(jsonString) ?? "null"),
                ("shape", r.shape.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? "null"),
                ("layout", r.layout.map(jsonString) ?? "null"),
                ("filters", "[" + r.filters.map(jsonString).joined(separator: ", ") + "]"),
                ("bytes", r.status == .ok ? String(r.bytes) : "null"), ("ddof", String(r.ddof)),
                ("pattern", jsonString(r.pattern)), ("file_size", String(r.fileSize)),
                ("file_mtime_ns", String(r.fileModified)), ("message", r.message.map(jsonString) ?? "null"),
            ]
            out += (i == 0 ? "\n" : ",\n") + "    {" + fields.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
        }
        out += summary.records.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        return out
    }

    static func parseJSON(_ text: String, path: String) throws -> [HDF5BatchRecord] {
        guard case .object(let top)? = try? MiniJSON.parse(text), case .array(let items)? = top["records"] else {
            throw ArrayIOError(.invalidFormat, path: path, "not an mproc batch summary (no \"records\" array)")
        }
        var header: [String] = []
        if case .array(let names)? = top["statistics"] {
            for case .string(let name) in names { header.append(name) }
        }
        return try items.enumerated().map { index, item in
            guard case .object(let fields) = item else {
                throw ArrayIOError(.invalidFormat, path: path, "record \(index) is not an object")
            }
            return try record(path: path, row: index, header: header) { name in
                switch fields[name] {
                case nil: return nil
                case .null?: return .missing
                case .string(let s)?: return .text(s)
                case .number(let n)?: return .text(n)
                case .array(let values)?:
                    return .list(values.map { value -> String in
                        switch value {
                        case .string(let s): s
                        case .number(let n): n
                        default: ""
                        }
                    })
                default: return .missing
                }
            }
        }
    }

    // MARK: - Records from fields

    enum Field {
        case text(String)
        case list([String])
        case missing

        var text: String? {
            switch self {
            case .text(let s): s
            case .list(let l): l.joined(separator: "x")
            case .missing: nil
            }
        }
    }

    /// A record from named fields (`field(name)` is nil when the column is absent).
    static func record(path: String, row: Int, header: [String], field: (String) -> Field?) throws -> HDF5BatchRecord {
        func text(_ name: String) -> String? {
            guard let value = field(name)?.text, !value.isEmpty else { return nil }
            return value
        }
        guard let file = text("file"), let status = text("status").flatMap(HDF5BatchRecord.Status.init(rawValue:)) else {
            throw ArrayIOError(.invalidFormat, path: path, "record \(row) has no file or no valid status")
        }
        var values: [(Statistic, Double?)] = []
        for name in header {
            guard let statistic = Statistic(rawValue: name) else { continue }
            var value = text(name).flatMap { Double($0) }
            // JSON has no NaN and writes it as null: read an ok record's null float statistic as NaN (the
            // common case, data with gaps) rather than as n/a (the min of an empty dataset).
            if value == nil, case .missing? = field(name), status == .ok, !statistic.isInteger { value = .nan }
            values.append((statistic, value))
        }
        let shape: [Int]?
        switch field("shape") {
        case .list(let parts)?: shape = parts.compactMap { Int($0) }
        case .text(let s)?: shape = parseShape(s)
        default: shape = nil
        }
        let filtersText: [String]
        switch field("filters") {
        case .list(let parts)?: filtersText = parts
        case .text(let s)?: filtersText = s.isEmpty ? [] : s.split(separator: "+").map(String.init)
        default: filtersText = []
        }
        let count = values.first { $0.0 == .count }?.1.flatMap { Int(exactly: $0) } ?? shape.flatMap(CheckedSize.elementCount) ?? 0
        return HDF5BatchRecord(
            file: file, dataset: text("dataset"), pattern: text("pattern") ?? "", status: status,
            message: text("message"), dtype: text("dtype").flatMap(DType.init(rawValue:)), storedType: text("stored_type"),
            shape: shape, layout: text("layout"), filters: filtersText, bytes: text("bytes").flatMap { Int($0) } ?? 0,
            statistics: status == .ok ? Statistics(values: values, count: count) : nil,
            ddof: text("ddof").flatMap { Int($0) } ?? 0, fileSize: text("file_size").flatMap { Int($0) } ?? -1,
            fileModified: text("file_mtime_ns").flatMap { Int64($0) } ?? -1)
    }
}

/// `s` as a JSON string literal, quotes included (control characters escaped); shared with the CLI.
public func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
