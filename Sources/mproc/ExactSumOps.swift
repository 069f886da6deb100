import SharedArrays

/// `fsum` and `nanfsum` in `mproc stats --ops`: the correctly rounded sum (Python's `math.fsum`), computed
/// beside the moments and reported with the order statistics' values.
enum ExactSumOp {
    static let names: Set<String> = ["fsum", "nanfsum"]

    /// The fsum ops of a comma-separated `--ops` list, in order.
    static func parseList(_ ops: String?) -> [String] {
        guard let ops else { return [] }
        return ops.split(separator: ",").map(String.init).filter { names.contains($0) }
    }

    /// Appends each op's value (per column or row with `axis`) to `results`.
    static func compute<E: SharedElement>(
        _ ops: [String], of array: SharedArray<E>, axis: Int?, into results: inout OrderResults
    ) throws {
        guard !ops.isEmpty else { return }
        if let axis { results.axis = axis }
        for name in ops {
            let skipNaN = name == "nanfsum"
            results.names.append(name)
            results.values.append(try axis.map { try array.fsum(axis: $0, skipNaN: skipNaN) } ?? [array.fsum(skipNaN: skipNaN)])
        }
    }
}
