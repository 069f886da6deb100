import Foundation
import HDF5Arrays
import SharedArrays

/// What `mproc stats` prints: a table for people, JSON for programs.
struct StatsReport {
    let input: String
    let dtype: DType
    let shape: [Int]
    let byteCount: Int
    let workers: Int
    let statistics: [Statistic]
    let whole: Statistics?
    let perAxis: AxisStatistics?
    let loadTime: Duration
    let computeTimes: [Duration]
    /// Order statistics (`median`, `p99`, ...), named as typed.
    var orders = OrderResults()
    /// How the values were CF-decoded, or nil (printed under the header; JSON `decoding`).
    var decoding: String?
    /// The windows a streamed run went through (`--memory-limit`), nil when the array was in memory.
    var streamedWindows: Int? = nil
    /// The MPI ranks that computed it (`--mpi`; `workers` is then per rank), nil on one node.
    var ranks: Int? = nil
    /// `--stride K`: ``perAxis`` then holds one value per part `x[i::K]`.
    var stride: Int? = nil

    var computeMedian: Duration { computeTimes.sorted()[computeTimes.count / 2] }

    /// Bytes read per second by the computation (median run).
    var gigabytesPerSecond: Double {
        let seconds = computeMedian.seconds
        return seconds > 0 ? Double(byteCount) / seconds / 1e9 : 0
    }

    func table(maxRows: Int = 20) -> String {
        var lines: [String] = []
        let shapeText = shape.map(String.init).joined(separator: " x ")
        lines.append("\(input)  \(dtype.rawValue)  [\(shapeText)]  \(formatBytes(byteCount))")
        if let decoding { lines.append("CF-decoded: \(decoding)") }
        if let whole {
            let width = max(9, statistics.map(\.rawValue.count).max() ?? 0)
            lines.append("")
            lines.append("statistic".padding(width) + "  value")
            for (s, v) in whole.values {
                lines.append(s.rawValue.padding(width) + "  " + formatValue(v, integer: s.isInteger))
            }
        } else if let perAxis {
            let label = stride != nil ? "part" : perAxis.axis == 0 ? "column" : "row"
            let columns = statistics.map(\.rawValue)
            let n = perAxis.values.first?.1.count ?? 0
            var rows: [[String]] = [[label] + columns]
            let shown = n <= maxRows ? Array(0..<n) : Array(0..<(maxRows / 2)) + Array((n - maxRows / 2)..<n)
            for (position, i) in shown.enumerated() {
                if n > maxRows, position == maxRows / 2 { rows.append(["..."] + columns.map { _ in "" }) }
                rows.append(["\(i)"] + perAxis.values.map { s, values in formatValue(values[i], integer: s.isInteger) })
            }
            let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
            lines.append("")
            for row in rows {
                lines.append(zip(row, widths).enumerated().map { c, pair in
                    c == 0 ? pair.0.padding(pair.1) : pair.0.leftPadding(pair.1)
                }.joined(separator: "  "))
            }
            if n > maxRows { lines.append("(\(n) \(label)s; --json prints all)") }
        }
        lines += orders.tableLines(withHeader: whole == nil)
        lines.append("")
        var timing = "load \(formatMilliseconds(loadTime)) ms · compute \(formatMilliseconds(computeMedian)) ms"
        if let streamedWindows { timing = "streamed in \(streamedWindows) windows · read and compute \(formatMilliseconds(computeMedian)) ms" }
        if computeTimes.count > 1 { timing += " (median of \(computeTimes.count))" }
        timing += String(format2: gigabytesPerSecond, suffix: " GB/s")
        timing += " · " + describeWorkers(workers, ranks: ranks)
        lines.append(timing)
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        var fields: [(String, String)] = [
            ("input", jsonString(input)), ("dtype", jsonString(dtype.rawValue)),
            ("shape", "[" + shape.map(String.init).joined(separator: ",") + "]"), ("workers", "\(workers)"),
        ]
        if let decoding { fields.append(("decoding", jsonString(decoding))) }
        if let whole {
            for (s, v) in whole.values { fields.append((s.rawValue, jsonNumber(v, integer: s.isInteger))) }
        } else if let perAxis {
            fields.append(stride.map { ("stride", "\($0)") } ?? ("axis", "\(perAxis.axis)"))
            for (s, values) in perAxis.values {
                fields.append((s.rawValue, "[" + values.map { jsonNumber($0, integer: s.isInteger) }.joined(separator: ",") + "]"))
            }
        }
        fields += orders.jsonFields()
        if let streamedWindows { fields.append(("streamed_windows", "\(streamedWindows)")) }
        if let ranks { fields.append(("ranks", "\(ranks)")) }
        fields.append(("load_ms", jsonNumber(loadTime.milliseconds, integer: false)))
        fields.append(("elapsed_ms", jsonNumber(computeMedian.milliseconds, integer: false)))
        fields.append(("runs_ms", "[" + computeTimes.map { jsonNumber($0.milliseconds, integer: false) }.joined(separator: ",") + "]"))
        fields.append(("gb_per_s", jsonNumber(gigabytesPerSecond, integer: false)))
        return "{" + fields.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}

/// `2 workers`, or `1 worker per rank · 3 ranks` for an MPI run.
func describeWorkers(_ workers: Int, ranks: Int?) -> String {
    var text = "\(workers) worker\(workers == 1 ? "" : "s")"
    if let ranks { text += " per rank · \(ranks) rank\(ranks == 1 ? "" : "s")" }
    return text
}

/// A value for the table: integers as integers, others to 10 significant digits (JSON keeps them all).
func formatValue(_ value: Double?, integer: Bool) -> String {
    guard let value else { return "n/a" }
    if integer, value.isFinite { return String(Int64(value)) }
    if value.isNaN { return "nan" }
    return String(format: "%.10g", value)
}

/// A JSON number (integers without a fraction); NaN, infinities and missing values become null.
func jsonNumber(_ value: Double?, integer: Bool) -> String {
    guard let value, value.isFinite else { return "null" }
    if integer || (value == value.rounded() && abs(value) < 1e15) { return String(Int64(value)) }
    return "\(value)"
}

func formatMilliseconds(_ d: Duration) -> String {
    let ms = d.milliseconds
    return ms >= 100 ? String(Int(ms.rounded())) : String((ms * 100).rounded() / 100)
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
    var milliseconds: Double { seconds * 1000 }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }

    init(format2 value: Double, suffix: String) {
        self = " · " + String((value * 100).rounded() / 100) + suffix
    }
}
