/// The first pass of a scan as a ``ChunkReduction``: a chunk folds to the combination of its elements under
/// the scan's operation, in the accumulator type `Output`; two partials merge by the same operation.
///
/// Scans read the per-chunk partials before any merge (the totals are combined exclusively, in chunk
/// order, by the parent); reducing with it gives the scan's last value.
struct ScanTotalsReduction<Element: SharedElement, Output: ScanValue>: ChunkReduction {
    var operation: ScanOperation

    var identity: Output { operation.identity(Output.self) }

    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Output>) {
        guard let base = chunk.elements.baseAddress, chunk.elements.count > 0 else { return }
        ScanKernels.total(
            operation, source: UnsafeRawPointer(base), count: chunk.elements.count, input: Element.dtype,
            output: Output.dtype, into: UnsafeMutableRawPointer(partial.baseAddress!))
    }

    func merge(_ a: UnsafeMutableBufferPointer<Output>, _ b: UnsafeBufferPointer<Output>) {
        for i in 0..<a.count { a[i] = operation.combine(a[i], b[i]) }
    }
}
