/// Typed, bounds-checked access to a segment's bytes, for callers that need values rather than the raw
/// ``SharedMemory/base`` pointer: every offset and count is checked against the segment's size (with
/// overflow checks) and the type's alignment, so a bad offset is an error, never a stray write.
///
/// ```swift
/// let segment = try SharedMemory(byteCount: 1024)
/// try segment.store(42.0, at: 8)
/// let sum = try segment.withElements(of: Double.self, at: 0, count: 128) { $0.reduce(0, +) }
/// ```
extension SharedMemory {
    /// Calls `body` with `count` values of `T` starting `offset` bytes into the segment.
    public func withElements<T: BitwiseCopyable, R>(
        of type: T.Type, at offset: Int = 0, count: Int, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) throws -> R {
        try checkRange(offset: offset, count: count, stride: MemoryLayout<T>.stride, alignment: MemoryLayout<T>.alignment)
        let start = (base + offset).assumingMemoryBound(to: T.self)
        return try body(UnsafeMutableBufferPointer(start: start, count: count))
    }

    /// The value of `T` stored `offset` bytes into the segment (any alignment).
    public func load<T: BitwiseCopyable>(_ type: T.Type, at offset: Int) throws -> T {
        try checkRange(offset: offset, count: 1, stride: MemoryLayout<T>.size, alignment: 1)
        return base.loadUnaligned(fromByteOffset: offset, as: T.self)
    }

    /// Stores `value` `offset` bytes into the segment (any alignment).
    public func store<T: BitwiseCopyable>(_ value: T, at offset: Int) throws {
        try checkRange(offset: offset, count: 1, stride: MemoryLayout<T>.size, alignment: 1)
        base.storeBytes(of: value, toByteOffset: offset, as: T.self)
    }

    private func checkRange(offset: Int, count: Int, stride: Int, alignment: Int) throws {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: stride)
        let (end, overflowEnd) = offset.addingReportingOverflow(bytes)
        guard offset >= 0, count >= 0, !overflow, !overflowEnd, end <= byteCount else {
            throw SegmentAccessError(
                "\(count) values of \(stride) bytes at offset \(offset) do not fit in a segment of \(byteCount) bytes")
        }
        guard Int(bitPattern: base + offset) % alignment == 0 else {
            throw SegmentAccessError("offset \(offset) is not aligned to \(alignment) bytes")
        }
    }
}

/// A typed access to a segment outside its bounds or misaligned.
public struct SegmentAccessError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
