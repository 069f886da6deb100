/// The moments statistics (`count`, `sum`, `mean`, `var`, `std`, `min`, `max`, `argmin`, `argmax`, `norm` and
/// their `nan` variants) as one ``ChunkReduction``: a chunk folds into a ``Moments`` partial by
/// ``chunkMoments(_:firstIndex:needs:)``, partials merge by ``Moments/merge(_:_:)`` (Chan/Pébay for variance).
///
/// Residue classes and table columns are read in place by the vectorised kernels
/// (``stridedChunkMoments(_:firstIndex:stride:needs:)``, ``blockColumnMoments(_:rows:columns:firstRow:needs:into:)``).
public struct MomentsReduction<Element: SharedElement>: ChunkReduction {
    /// What each chunk computes.
    public var needs: MomentNeeds

    public init(needs: MomentNeeds) { self.needs = needs }

    public var identity: Moments { .empty }

    /// Needs no preparation: small inputs fold in the caller.
    public static var foldsInCaller: Bool { true }

    public func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Moments>) {
        partial[0] = chunkMoments(chunk.elements, firstIndex: chunk.firstIndex, needs: needs)
    }

    public func merge(_ a: UnsafeMutableBufferPointer<Moments>, _ b: UnsafeBufferPointer<Moments>) {
        for i in 0..<a.count { a[i] = Moments.merge(a[i], b[i]) }
    }

    public func foldClasses(_ span: ReductionChunk<Element>, classes: Int, into partials: UnsafeMutableBufferPointer<Moments>) {
        let perClass = stridedChunkMoments(span.elements, firstIndex: span.firstIndex, stride: classes, needs: needs)
        for (r, var m) in perClass.enumerated() {
            // The kernel reports span indices; a class's own index is the span index divided by the stride.
            if m.argmin >= 0 { m.argmin /= classes }
            if m.argmax >= 0 { m.argmax /= classes }
            if m.firstNaNIndex >= 0 { m.firstNaNIndex /= classes }
            partials[r] = m
        }
    }

    public func foldColumns(
        _ block: ReductionChunk<Element>, rows: Int, columns: Int, into partials: UnsafeMutableBufferPointer<Moments>
    ) {
        blockColumnMoments(block.elements, rows: rows, columns: columns, firstRow: block.firstIndex, needs: needs, into: partials)
    }
}
