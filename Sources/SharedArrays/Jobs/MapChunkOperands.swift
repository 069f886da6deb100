/// One chunk's operands of an element-wise job as contiguous memory: a contiguous operand is used where it
/// lies, a strided view (a column, `data[start::step]`) is gathered into a scratch buffer, and a strided
/// destination is computed into scratch and scattered back by ``scatterResults()``; ``release()`` returns the
/// scratch (call it on every path, after an error too). Only the chunk's elements are
/// copied, never the whole array, and each element is written once: strided and contiguous arrays give the
/// same bits.
struct MapChunkOperands<E: SharedElement> {
    let range: Range<Int>
    private var buffers: [UnsafeMutableRawPointer] = []
    /// Where the destination's chunk lives, and the scratch to scatter when it is strided.
    private var scatter: (target: UnsafeMutablePointer<E>, stride: Int, buffer: UnsafeMutablePointer<E>)?

    init(range: Range<Int>) { self.range = range }

    /// The chunk of the operand whose first element is at `base` and whose elements are `stride` apart, as
    /// contiguous elements.
    mutating func input(_ base: UnsafeMutableRawPointer, stride: Int) -> UnsafeMutablePointer<E> {
        let first = base.assumingMemoryBound(to: E.self) + range.lowerBound * stride
        if stride == 1 { return first }
        let buffer = take()
        gatherBytes(UnsafeRawPointer(first), stride: stride * MemoryLayout<E>.stride, count: range.count,
                    elementBytes: MemoryLayout<E>.stride, into: UnsafeMutableRawPointer(buffer))
        return buffer
    }

    /// The chunk of the destination to write; `reads` gathers its current values first (for `y += a * x`).
    mutating func output(_ base: UnsafeMutableRawPointer, stride: Int, reads: Bool) -> UnsafeMutablePointer<E> {
        let first = base.assumingMemoryBound(to: E.self) + range.lowerBound * stride
        if stride == 1 { return first }
        let buffer = reads ? input(base, stride: stride) : take()
        scatter = (first, stride, buffer)
        return buffer
    }

    /// Writes a strided destination's results into it.
    mutating func scatterResults() {
        if let (target, stride, buffer) = scatter {
            for i in 0..<range.count { target[i * stride] = buffer[i] }
            scatter = nil
        }
    }

    /// Returns the scratch buffers.
    mutating func release() {
        for buffer in buffers { ChunkScratch.giveBack(buffer) }
        buffers.removeAll()
    }

    private mutating func take() -> UnsafeMutablePointer<E> {
        let buffer = ChunkScratch.take(bytes: Swift.max(1, range.count) * MemoryLayout<E>.stride)
        buffers.append(buffer)
        return buffer.assumingMemoryBound(to: E.self)
    }
}
