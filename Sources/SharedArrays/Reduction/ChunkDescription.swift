import Multiprocessing

extension SharedArray {
    /// Names a chunk in errors: its index and element (or row) range.
    public func describe(_ plan: ChunkPlan, rows: Bool = false) -> (Int) -> String {
        { chunk in
            let range = plan.range(of: chunk)
            return "chunk \(chunk) (\(rows ? "rows" : "elements") \(range.lowerBound)..<\(range.upperBound))"
        }
    }
}
