/// A byte ring buffer of length-prefixed records in a shared segment. Not synchronized: callers hold
/// the queue's lock. Layout: head, tail, count, used (Int each) then the data area.
///
/// A record is a 4-byte length and its bytes, padded to 8. A record never wraps: when it does not fit
/// before the end, a wrap marker (length 0xFFFFFFFF) sends the writer back to offset 0.
struct SharedRing: @unchecked Sendable {
    private let segment: SharedMemory
    private let capacity: Int
    private static let header = 32
    private static let wrapMarker: UInt32 = 0xFFFF_FFFF

    init(capacity: Int) throws {
        segment = try SharedMemory(byteCount: Self.header + capacity)
        self.capacity = capacity
    }

    private var base: UnsafeMutableRawPointer { segment.base }
    private var data: UnsafeMutableRawPointer { segment.base + Self.header }

    private var head: Int {
        get { base.load(as: Int.self) }
        nonmutating set { base.storeBytes(of: newValue, as: Int.self) }
    }
    private var tail: Int {
        get { base.load(fromByteOffset: 8, as: Int.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 8, as: Int.self) }
    }
    /// Records in the ring.
    var count: Int {
        get { base.load(fromByteOffset: 16, as: Int.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 16, as: Int.self) }
    }
    /// Bytes in use, padding and skipped tails included.
    private var used: Int {
        get { base.load(fromByteOffset: 24, as: Int.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 24, as: Int.self) }
    }

    /// Bytes a record of `length` takes.
    static func footprint(_ length: Int) -> Int { (4 + length + 7) / 8 * 8 }

    /// Whether a record of `length` bytes fits now.
    func fits(_ length: Int) -> Bool {
        let need = Self.footprint(length)
        let free = capacity - used
        if tail + need <= capacity { return need <= free }
        // It would wrap: the skipped tail counts as used.
        return need + (capacity - tail) <= free
    }

    func push(_ bytes: [UInt8]) {
        let need = Self.footprint(bytes.count)
        if tail + need > capacity {
            if capacity - tail >= 4 { data.storeBytes(of: Self.wrapMarker, toByteOffset: tail, as: UInt32.self) }
            used += capacity - tail
            tail = 0
        }
        data.storeBytes(of: UInt32(bytes.count), toByteOffset: tail, as: UInt32.self)
        bytes.withUnsafeBytes { (data + tail + 4).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        tail = (tail + need) % capacity
        used += need
        count += 1
    }

    func pop() -> [UInt8] {
        if capacity - head < 4 || data.load(fromByteOffset: head, as: UInt32.self) == Self.wrapMarker {
            used -= capacity - head
            head = 0
        }
        let length = Int(data.load(fromByteOffset: head, as: UInt32.self))
        let bytes = [UInt8](UnsafeRawBufferPointer(start: data + head + 4, count: length))
        let need = Self.footprint(length)
        head = (head + need) % capacity
        used -= need
        count -= 1
        if count == 0 {
            head = 0
            tail = 0
            used = 0
        }
        return bytes
    }
}
