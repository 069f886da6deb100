/// Partials as the bytes ranks exchange: slots are plain values (``ChunkReduction/Slot`` is
/// `BitwiseCopyable`), and every rank of one job runs the same program on the same kind of machine, so a
/// partial's bytes mean the same on every rank.
enum PartialBytes {
    /// The bytes of `slots`.
    static func encode<Slot: BitwiseCopyable>(_ slots: [Slot]) -> [UInt8] {
        slots.withUnsafeBytes { Array($0) }
    }

    /// Slots from bytes another rank encoded; a length that is not a whole number of slots is an error.
    static func decode<Slot: BitwiseCopyable>(_ bytes: [UInt8], as _: Slot.Type, from rank: Int) throws -> [Slot] {
        let stride = MemoryLayout<Slot>.stride
        guard bytes.count % stride == 0 else {
            throw DistributedError("rank \(rank) sent \(bytes.count) bytes of partials, not a whole number of \(stride)-byte slots")
        }
        let count = bytes.count / stride
        return [Slot](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                if let source = raw.baseAddress, let target = buffer.baseAddress, count > 0 {
                    UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: bytes.count)
                }
            }
            initialized = count
        }
    }
}
