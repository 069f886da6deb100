import SharedArrays

/// What a worker found about one selected dataset (or the file), as it travels in its file's item payload.
struct SlotRecord {
    enum Kind: UInt8 {
        case ok = 0, failed = 1, skipped = 2
        /// Too large to do in one piece: the parent splits it across the workers.
        case deferred = 3
        /// The file itself could not be read.
        case fileFailed = 4
    }

    var kind: Kind
    var dataset: String
    var pattern: String
    var message: String = ""
    var info: HDF5DatasetInfo? = nil
    var dtype: DType? = nil
    var moments: Moments = .empty
    /// The dataset was CF-decoded with a mask: its statistics skip the masked (NaN) values.
    var masked = false

    func encode(into w: inout ByteWriter) {
        w.byte(kind.rawValue)
        w.string(dataset)
        w.string(pattern)
        w.string(message)
        w.byte(dtype.map { UInt8(DType.allCases.firstIndex(of: $0)!) } ?? 255)
        if let info {
            w.byte(1)
            w.ints(info.shape)
            w.byte(info.dtype.map { UInt8(DType.allCases.firstIndex(of: $0)!) } ?? 255)
            w.string(info.typeDescription)
            w.string(info.layout.rawValue)
            w.byte(info.chunkShape == nil ? 0 : 1)
            w.ints(info.chunkShape ?? [])
            w.string(info.filters.joined(separator: "\u{1}"))
        } else {
            w.byte(0)
        }
        if kind == .ok { w.raw(moments) }
        w.byte(masked ? 1 : 0)
    }

    init(kind: Kind, dataset: String, pattern: String, message: String = "", info: HDF5DatasetInfo? = nil,
         dtype: DType? = nil, moments: Moments = .empty, masked: Bool = false) {
        self.kind = kind
        self.dataset = dataset
        self.pattern = pattern
        self.message = message
        self.info = info
        self.dtype = dtype
        self.moments = moments
        self.masked = masked
    }

    init?(from r: inout ByteReader) {
        guard let kind = Kind(rawValue: r.byte()) else { return nil }
        self.kind = kind
        dataset = r.string()
        pattern = r.string()
        message = r.string()
        let dtypeIndex = Int(r.byte())
        dtype = dtypeIndex < DType.allCases.count ? DType.allCases[dtypeIndex] : nil
        if r.byte() == 1 {
            let shape = r.ints()
            let stored = Int(r.byte())
            let description = r.string()
            let layout = HDF5DatasetInfo.Layout(rawValue: r.string()) ?? .contiguous
            let hasChunks = r.byte() == 1
            let chunks = r.ints()
            let filters = r.string()
            info = HDF5DatasetInfo(
                path: dataset, shape: shape, dtype: stored < DType.allCases.count ? DType.allCases[stored] : nil,
                typeDescription: description, layout: layout, chunkShape: hasChunks ? chunks : nil,
                filters: filters.isEmpty ? [] : filters.split(separator: "\u{1}").map(String.init))
        }
        if kind == .ok { moments = r.raw(Moments.self) ?? .empty }
        masked = r.byte() == 1
    }
}

/// Appends plain values as bytes (native byte order: writer and reader are the same program).
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func byte(_ value: UInt8) { bytes.append(value) }
    mutating func raw<T: BitwiseCopyable>(_ value: T) { withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) } }
    mutating func int(_ value: Int) { raw(value) }
    mutating func ints(_ values: [Int]) {
        int(values.count)
        for value in values { int(value) }
    }
    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        int(utf8.count)
        bytes.append(contentsOf: utf8)
    }
}

extension SlotRecord {
    /// The records encoded in `bytes`, in order.
    static func decodeAll(_ bytes: UnsafeRawBufferPointer) -> [SlotRecord] {
        guard let base = bytes.baseAddress else { return [] }
        var reader = ByteReader(base: base, count: bytes.count)
        var result: [SlotRecord] = []
        while !reader.isAtEnd, let record = SlotRecord(from: &reader) { result.append(record) }
        return result
    }
}

/// Reads what ``ByteWriter`` wrote; reading past the end gives zeros and empty values, never a trap.
struct ByteReader {
    let base: UnsafeRawPointer
    let count: Int
    var offset = 0

    init(base: UnsafeRawPointer, count: Int) {
        self.base = base
        self.count = count
    }

    var isAtEnd: Bool { offset >= count }

    mutating func byte() -> UInt8 {
        guard offset < count else { return 255 }
        defer { offset += 1 }
        return base.load(fromByteOffset: offset, as: UInt8.self)
    }
    mutating func raw<T: BitwiseCopyable>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard offset + size <= count else {
            offset = count
            return nil
        }
        defer { offset += size }
        return base.loadUnaligned(fromByteOffset: offset, as: T.self)
    }
    mutating func int() -> Int { raw(Int.self) ?? 0 }
    mutating func ints() -> [Int] {
        let n = int()
        guard n >= 0, n <= (count - offset) / 8 else { return [] }
        return (0..<n).map { _ in int() }
    }
    mutating func string() -> String {
        let n = int()
        guard n >= 0, offset + n <= count else {
            offset = count
            return ""
        }
        defer { offset += n }
        return String(decoding: UnsafeRawBufferPointer(start: base + offset, count: n), as: UTF8.self)
    }
}
