import ArgumentParser
import SharedArrays

/// The order statistics `mproc stats --ops` takes beside the moments: `median`, `pNN` (percentile, `p99`,
/// `p99.9`), `qX` (quantile, `q0.25`) and their `nan` variants (`nanmedian`, `nanp99`, `nanq0.25`).
/// They share one set of selection passes; the report names each as typed.
struct OrderOp {
    /// The op as typed (the JSON key).
    let name: String
    let statistic: OrderStatistic

    /// nil when `name` is not shaped like an order op; an error when it is but its number is out of range.
    static func parse(_ name: String) throws -> OrderOp? {
        var rest = Substring(name)
        let skipNaN = rest.hasPrefix("nan")
        if skipNaN { rest = rest.dropFirst(3) }
        if rest == "median" { return OrderOp(name: name, statistic: skipNaN ? .nanmedian : .median) }
        guard let letter = rest.first, letter == "p" || letter == "q" else { return nil }
        let number = rest.dropFirst()
        let allowed = Set("0123456789.-")
        guard !number.isEmpty, number.allSatisfy({ allowed.contains($0) }) else { return nil }
        guard let value = Double(number) else { throw ValidationError("--ops \(name): '\(number)' is not a number") }
        if letter == "p" {
            guard value >= 0 && value <= 100 else { throw ValidationError("--ops \(name): a percentile must be in [0, 100]") }
            return OrderOp(name: name, statistic: skipNaN ? .nanpercentile(value) : .percentile(value))
        }
        guard value >= 0 && value <= 1 else { throw ValidationError("--ops \(name): a quantile must be in [0, 1]") }
        return OrderOp(name: name, statistic: skipNaN ? .nanquantile(value) : .quantile(value))
    }

    /// The order ops of a comma-separated `--ops` list, in order.
    static func parseList(_ ops: String?) throws -> [OrderOp] {
        guard let ops else { return [] }
        return try ops.split(separator: ",").compactMap { try parse(String($0)) }
    }

    /// Whether `name` is an order op (valid or not): `--ops` parsing leaves it to ``parse(_:)``.
    static func isOrderOp(_ name: String) -> Bool {
        do { return try parse(name) != nil } catch { return true }
    }
}

/// The order ops' results: one value each, or one per column (row) with `--axis`.
struct OrderResults {
    var names: [String] = []
    var values: [[Double]] = []
    /// The axis of per-column (per-row) values; nil for whole-array values.
    var axis: Int?

    /// Computes `ops` on `array` (along `axis` when given).
    static func compute<E: SharedElement>(
        _ ops: [OrderOp], of array: SharedArray<E>, axis: Int?, method: QuantileMethod
    ) throws -> OrderResults {
        guard !ops.isEmpty else { return OrderResults() }
        if let axis {
            return OrderResults(
                names: ops.map(\.name), values: try ops.map { try array.orderStatistic($0.statistic, axis: axis, method: method) },
                axis: axis)
        }
        let values = try array.orderStatistics(ops.map(\.statistic), method: method)
        return OrderResults(names: ops.map(\.name), values: values.map { [$0] })
    }

    /// Table lines: `name  value` rows for a whole array, or a table of one column per op.
    func tableLines(withHeader: Bool, maxRows: Int = 20) -> [String] {
        guard !names.isEmpty else { return [] }
        guard let axis else {
            let width = max(9, names.map(\.count).max() ?? 0)
            let header = withHeader ? ["", "statistic".padding(width) + "  value"] : []
            return header + zip(names, values).map { $0.padding(width) + "  " + formatValue($1[0], integer: false) }
        }
        let label = axis == 0 ? "column" : "row"
        let n = values.first?.count ?? 0
        let shown = n <= maxRows ? Array(0..<n) : Array(0..<(maxRows / 2)) + Array((n - maxRows / 2)..<n)
        var rows: [[String]] = [[label] + names]
        for i in shown { rows.append(["\(i)"] + values.map { formatValue($0[i], integer: false) }) }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return [""] + rows.map { row in
            zip(row, widths).enumerated().map { c, pair in c == 0 ? pair.0.padding(pair.1) : pair.0.leftPadding(pair.1) }
                .joined(separator: "  ")
        }
    }

    /// JSON fields keyed by the ops as typed (NaN is null).
    func jsonFields() -> [(String, String)] {
        zip(names, values).map { name, v in
            (name, axis == nil ? jsonNumber(v[0], integer: false) : "[" + v.map { jsonNumber($0, integer: false) }.joined(separator: ",") + "]")
        }
    }
}
