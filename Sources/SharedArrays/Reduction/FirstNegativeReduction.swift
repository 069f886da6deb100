/// The index of the first negative element (Int.max for none): how `power` finds an integer exponent numpy
/// would refuse, on the reduction plumbing (any layout, any worker count, the same answer).
struct FirstNegativeReduction<Element: SharedElement>: ChunkReduction {
    var identity: Int { Int.max }

    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<Int>) {
        if let i = chunk.elements.firstIndex(where: { $0 < .zero }) { partial[0] = chunk.firstIndex + i }
    }

    func merge(_ a: UnsafeMutableBufferPointer<Int>, _ b: UnsafeBufferPointer<Int>) { a[0] = Swift.min(a[0], b[0]) }
}
