/// A map's inputs as the parent holds them: an integer range (never materialised), or values.
enum MapInputs<Input> {
    case range(start: Int, count: Int)
    case values([Input])

    /// `inputs` without copying a range of integers or an array.
    init<C: Collection>(_ inputs: C) where C.Element == Input {
        if Input.self == Int.self {
            // Only ranges whose length is an Int (the others cannot be mapped anyway).
            if let range = inputs as? Range<Int>,
                case (let count, false) = range.upperBound.subtractingReportingOverflow(range.lowerBound)
            {
                self = .range(start: range.lowerBound, count: count)
                return
            }
            if let range = inputs as? ClosedRange<Int>, range.upperBound < Int.max,
                case (let count, false) = (range.upperBound + 1).subtractingReportingOverflow(range.lowerBound)
            {
                self = .range(start: range.lowerBound, count: count)
                return
            }
        }
        self = .values(inputs as? [Input] ?? Array(inputs))
    }

    var count: Int {
        switch self {
        case .range(_, let count): count
        case .values(let values): values.count
        }
    }

    /// Input `index`, described for an error message.
    func describe(_ index: Int) -> String {
        switch self {
        case .range(let start, _): describeInput(start + index)
        case .values(let values): describeInput(values[index])
        }
    }

    /// The inputs written where workers read them: nothing for a range, the raw elements of a plain-data
    /// type, or encoded blocks of `blockSize` inputs otherwise. Returns the layout and the segment to keep alive.
    func share(blockSize: Int) throws -> (layout: MapInputLayout, segment: SharedMemory?) where Input: Encodable {
        switch self {
        case .range(let start, _):
            return (MapInputLayout(kind: .range, segment: nil, start: start, blockSize: 0), nil)
        case .values(let values) where _isPOD(Input.self):
            let stride = MemoryLayout<Input>.stride
            let (bytes, overflow) = values.count.multipliedReportingOverflow(by: stride)
            guard !overflow else { throw SharedMemoryError.invalidSize(Int.max) }
            let segment = try SharedMemory(byteCount: max(bytes, 1))
            values.withUnsafeBytes { bytes in
                if let source = bytes.baseAddress { segment.base.copyMemory(from: source, byteCount: bytes.count) }
            }
            return (MapInputLayout(kind: .raw, segment: segment.reference, start: 0, blockSize: 0), segment)
        case .values(let values):
            // Directory: block count, then (offset, length) per block; then the frames.
            let encoder = BinaryEncoder()
            var frames: [[UInt8]] = []
            var start = 0
            while start < values.count {
                let end = min(start + blockSize, values.count)
                frames.append(try encoder.encode(Array(values[start..<end])))
                start = end
            }
            let directory = 8 + frames.count * 16
            let total = frames.reduce(directory) { $0 + $1.count }
            let segment = try SharedMemory(byteCount: total)
            segment.base.storeBytes(of: frames.count, as: Int.self)
            var offset = directory
            for (i, frame) in frames.enumerated() {
                segment.base.storeBytes(of: offset, toByteOffset: 8 + i * 16, as: Int.self)
                segment.base.storeBytes(of: frame.count, toByteOffset: 16 + i * 16, as: Int.self)
                frame.withUnsafeBytes { bytes in
                    if let source = bytes.baseAddress { (segment.base + offset).copyMemory(from: source, byteCount: bytes.count) }
                }
                offset += frame.count
            }
            return (MapInputLayout(kind: .encodedBlocks, segment: segment.reference, start: 0, blockSize: blockSize), segment)
        }
    }
}

extension MapInputs: Sendable where Input: Sendable {}

/// Where a map job finds its inputs (plain data, carried in the job).
struct MapInputLayout: BitwiseCopyable {
    enum Kind: UInt8 {
        /// Input `i` is `start + i` (an `Int` range).
        case range
        /// Input `i` is element `i` of the segment (a plain-data type, read in place).
        case raw
        /// Inputs are encoded in blocks of `blockSize`, each block one frame.
        case encodedBlocks
    }

    var kind: Kind
    var segment: SegmentReference?
    var start: Int
    var blockSize: Int
}

/// Reads a map's inputs inside a worker, decoding encoded ones a block at a time (the last block is kept).
struct MapInputReader<Input: Decodable> {
    private let layout: MapInputLayout
    private let base: UnsafeRawPointer?
    private let byteCount: Int
    private var block = -1
    private var decoded: [Input] = []

    init(_ layout: MapInputLayout, context: WorkerContext) throws {
        self.layout = layout
        base = try layout.segment.map { UnsafeRawPointer(try context.address(of: $0)) }
        byteCount = layout.segment?.byteCount ?? 0
    }

    mutating func input(_ item: Int) throws -> Input {
        switch layout.kind {
        case .range:
            return unsafeBitCast(layout.start + item, to: Input.self)
        case .raw:
            guard let base else { throw CodecError(.malformed, expected: "raw inputs", found: "none", offset: 0) }
            return base.load(fromByteOffset: item * MemoryLayout<Input>.stride, as: Input.self)
        case .encodedBlocks:
            let wanted = item / layout.blockSize
            if wanted != block {
                decoded = try BinaryDecoder().decode([Input].self, from: frame(wanted))
                block = wanted
            }
            let index = item - wanted * layout.blockSize
            guard index < decoded.count else {
                throw CodecError(.malformed, expected: "input \(item) in block \(wanted)", found: "\(decoded.count) inputs", offset: 0)
            }
            return decoded[index]
        }
    }

    /// Block `index`'s frame, checked against the segment's bounds.
    private func frame(_ index: Int) throws -> UnsafeRawBufferPointer {
        guard let base, byteCount >= 8 else { throw CodecError(.malformed, expected: "an input directory", found: "none", offset: 0) }
        let blocks = base.load(as: Int.self)
        guard index >= 0, index < blocks, blocks <= (byteCount - 8) / 16 else {
            throw CodecError(.malformed, expected: "input block \(index)", found: "\(blocks) blocks", offset: 0)
        }
        let offset = base.load(fromByteOffset: 8 + index * 16, as: Int.self)
        let length = base.load(fromByteOffset: 16 + index * 16, as: Int.self)
        guard offset >= 0, length >= 0, length <= byteCount - offset else {
            throw CodecError(.malformed, expected: "block \(index) inside the inputs", found: "offset \(offset), length \(length)", offset: 0)
        }
        return UnsafeRawBufferPointer(start: base + offset, count: length)
    }
}
