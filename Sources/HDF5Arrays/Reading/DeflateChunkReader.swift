import CHDF5
import SharedArrays

/// What ``MomentStreaming`` reads from: a dataset's elements by flat range, converted to a dtype.
protocol DatasetRangeReader: AnyObject {
    var info: HDF5DatasetInfo { get }
    func readElements(range: Range<Int>, into destination: UnsafeMutableRawPointer, as target: DType) throws
    func close()
}

extension HDF5DatasetReader: DatasetRangeReader {}

/// Opens the fastest reader for a dataset in this (worker) process.
func openRangeReader(file: String, dataset: String, computeType: DType) throws -> any DatasetRangeReader {
    if let fast = try DeflateChunkReader(file: file, dataset: dataset, computeType: computeType) { return fast }
    return try HDF5DatasetReader(file: file, dataset: dataset)
}

/// Reads a chunked, gzip (optionally shuffle + gzip) dataset by fetching its raw chunks
/// (`H5Dread_chunk`) and inflating them with ``LibDeflate`` straight into the destination, un-shuffling
/// on the way. Used only where the result is the same bytes HDF5 would produce: chunks that are blocks of
/// whole rows, the stored type equal to the type read (little-endian float64/32, int64/32), no other
/// filters. A chunk never written (fill value) is read through HDF5. One decompressed chunk is kept, so
/// ranges that split a chunk inflate it once.
final class DeflateChunkReader: DatasetRangeReader {
    let file: String
    let info: HDF5DatasetInfo
    private var fileID: hid_t
    private var datasetID: hid_t
    private let deflate: LibDeflate
    private let elementSize: Int
    private let shuffled: Bool
    /// Elements per chunk (rows per chunk times the row length).
    private let chunkElements: Int
    private let chunkRows: Int
    private let rank: Int
    private var fallback: HDF5DatasetReader?
    /// Each chunk's index record is checked against the file before its bytes are read.
    private let storage: HDF5StorageCheck
    private var raw: UnsafeMutableRawPointer
    private var rawCapacity: Int
    /// The last chunk inflated (not yet un-shuffled), for ranges that share it.
    private var cached: (index: Int, buffer: UnsafeMutableRawPointer)?
    private let cacheBuffer: UnsafeMutableRawPointer

    /// nil when the dataset does not qualify (the caller reads it through HDF5).
    init?(file: String, dataset: String, computeType: DType) throws {
        guard let deflate = LibDeflate.shared else { return nil }
        let fileID = try HDF5.openFile(file)
        var datasetID: hid_t = -1
        var ok = false
        defer {
            if !ok {
                if datasetID >= 0 { H5Dclose(datasetID) }
                H5Fclose(fileID)
            }
        }
        datasetID = try HDF5.openDataset(file: fileID, path: file, dataset: dataset)
        let info = try HDF5.info(dataset: datasetID, name: HDF5.normalized(dataset), path: file)
        guard info.layout == .chunked, let chunk = info.chunkShape, chunk.count == info.shape.count, !chunk.isEmpty,
            Array(chunk.dropFirst()) == Array(info.shape.dropFirst()), chunk[0] > 0,
            info.filters == ["gzip"] || info.filters == ["shuffle", "gzip"],
            // Chunk dimensions come from the file: a chunk whose size does not fit is HDF5's to refuse.
            let chunkBytes = CheckedSize.byteCount(shape: chunk, elementSize: computeType.byteSize),
            CheckedSize.sum(chunkBytes, 4096) != nil
        else { return nil }
        let type = H5Dget_type(datasetID)
        guard type >= 0 else { return nil }
        defer { H5Tclose(type) }
        guard H5Tequal(type, HDF5.memoryType(computeType)) > 0 else { return nil }
        storage = try HDF5StorageCheck(file: fileID, dataset: datasetID, path: file, name: info.path, info: info)
        self.file = file
        self.info = info
        self.fileID = fileID
        self.datasetID = datasetID
        self.deflate = deflate
        elementSize = computeType.byteSize
        shuffled = info.filters.first == "shuffle"
        chunkRows = chunk[0]
        chunkElements = chunk.reduce(1, *)
        rank = info.shape.count
        rawCapacity = chunkElements * elementSize + 4096
        raw = UnsafeMutableRawPointer.allocate(byteCount: rawCapacity, alignment: 64)
        cacheBuffer = UnsafeMutableRawPointer.allocate(byteCount: chunkElements * elementSize, alignment: 64)
        ok = true
    }

    deinit {
        close()
        raw.deallocate()
        cacheBuffer.deallocate()
        scratch?.pointer.deallocate()
    }

    func close() {
        fallback?.close()
        fallback = nil
        if datasetID >= 0 { H5Dclose(datasetID); datasetID = -1 }
        if fileID >= 0 { H5Fclose(fileID); fileID = -1 }
    }

    func readElements(range: Range<Int>, into destination: UnsafeMutableRawPointer, as target: DType) throws {
        guard datasetID >= 0 else {
            throw ArrayIOError(.invalidArgument, path: file, dataset: info.path, "the reader is closed")
        }
        guard range.lowerBound >= 0, range.upperBound <= info.count else {
            throw ArrayIOError(.invalidArgument, path: file, dataset: info.path,
                               "element range \(range.lowerBound)..<\(range.upperBound) is outside the dataset's \(info.count) elements")
        }
        if range.isEmpty { return }
        HDF5.prepare()
        let count = info.count
        var chunk = range.lowerBound / chunkElements
        while chunk * chunkElements < range.upperBound {
            let start = chunk * chunkElements
            let end = min(count, start + chunkElements)
            let lo = max(range.lowerBound, start), hi = min(range.upperBound, end)
            let out = destination + (lo - range.lowerBound) * elementSize
            let whole = lo == start && hi == start + chunkElements
            if let cached, cached.index == chunk {
                copyOut(cached.buffer, chunkStart: start, lo: lo, hi: hi, to: out)
            } else if whole {
                // The common case: inflate (and un-shuffle) straight into place.
                if try !inflate(chunk, into: out, range: range) {
                    try readThroughHDF5(lo..<hi, into: out, as: target)
                }
            } else if try inflate(chunk, into: cacheBuffer, range: range) {
                cached = (chunk, cacheBuffer)
                copyOut(cacheBuffer, chunkStart: start, lo: lo, hi: hi, to: out)
            } else {
                try readThroughHDF5(lo..<hi, into: out, as: target)
            }
            chunk += 1
        }
    }

    /// Inflates chunk `index` (all of it) into `buffer`; false when the chunk was never written.
    private func inflate(_ index: Int, into buffer: UnsafeMutableRawPointer, range: Range<Int>) throws -> Bool {
        var offset = [hsize_t](repeating: 0, count: rank)
        offset[0] = hsize_t(index * chunkRows)
        let size = try storage.checkChunk(datasetID, at: offset)
        if size == 0 { return false }
        if Int(size) > rawCapacity {
            raw.deallocate()
            rawCapacity = Int(size)
            raw = UnsafeMutableRawPointer.allocate(byteCount: rawCapacity, alignment: 64)
        }
        var filters: UInt32 = 0
        // A record HDF5 finds by coordinates but cannot read directly (two records claiming the same chunk):
        // H5Dread resolves it as HDF5 always does, with the same checks.
        guard H5Dread_chunk(datasetID, mp_h5p_default(), offset, &filters, raw) >= 0 else { return false }
        try storage.checkFilterMask(filters, stored: size, at: offset)
        let bytes = chunkElements * elementSize
        // A set bit in the mask means that filter was skipped for this chunk.
        let shuffleSkipped = shuffled && filters & 1 != 0
        let deflateSkipped = filters & (shuffled ? 2 : 1) != 0
        let target = shuffled && !shuffleSkipped ? cacheScratch(bytes) : buffer
        if deflateSkipped {
            guard Int(size) == bytes else { throw failure(range, "chunk \(index) has \(size) bytes, not \(bytes)") }
            target.copyMemory(from: raw, byteCount: bytes)
        } else if !deflate.inflate(raw, count: Int(size), into: target, outputBytes: bytes) {
            throw failure(range, "chunk \(index) does not decompress: the gzip data is damaged")
        }
        if shuffled && !shuffleSkipped { unshuffle(target, into: buffer, elements: chunkElements) }
        return true
    }

    private var scratch: (pointer: UnsafeMutableRawPointer, bytes: Int)?

    private func cacheScratch(_ bytes: Int) -> UnsafeMutableRawPointer {
        if let scratch, scratch.bytes >= bytes { return scratch.pointer }
        scratch?.pointer.deallocate()
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        scratch = (pointer, bytes)
        return pointer
    }

    private func copyOut(_ buffer: UnsafeMutableRawPointer, chunkStart: Int, lo: Int, hi: Int, to out: UnsafeMutableRawPointer) {
        out.copyMemory(from: buffer + (lo - chunkStart) * elementSize, byteCount: (hi - lo) * elementSize)
    }

    /// HDF5's shuffle filter stores byte k of every element together; put each element back together.
    private func unshuffle(_ source: UnsafeMutableRawPointer, into destination: UnsafeMutableRawPointer, elements n: Int) {
        let input = source.assumingMemoryBound(to: UInt8.self)
        switch elementSize {
        case 8:
            let out = destination.assumingMemoryBound(to: UInt64.self)
            for i in 0..<n {
                var v = UInt64(input[i])
                v |= UInt64(input[n + i]) << 8
                v |= UInt64(input[2 * n + i]) << 16
                v |= UInt64(input[3 * n + i]) << 24
                v |= UInt64(input[4 * n + i]) << 32
                v |= UInt64(input[5 * n + i]) << 40
                v |= UInt64(input[6 * n + i]) << 48
                v |= UInt64(input[7 * n + i]) << 56
                out[i] = v
            }
        case 4:
            let out = destination.assumingMemoryBound(to: UInt32.self)
            for i in 0..<n {
                out[i] = UInt32(input[i]) | UInt32(input[n + i]) << 8 | UInt32(input[2 * n + i]) << 16
                    | UInt32(input[3 * n + i]) << 24
            }
        default:
            let out = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0..<n { for b in 0..<elementSize { out[i * elementSize + b] = input[b * n + i] } }
        }
    }

    private func readThroughHDF5(_ range: Range<Int>, into destination: UnsafeMutableRawPointer, as target: DType) throws {
        if fallback == nil { fallback = try HDF5DatasetReader(file: file, dataset: info.path) }
        try fallback!.readElements(range: range, into: destination, as: target)
    }

    private func failure(_ range: Range<Int>, _ why: String) -> ArrayIOError {
        ArrayIOError(.ioFailure, path: file, dataset: info.path,
                     "reading elements \(range.lowerBound)..<\(range.upperBound) failed: \(why)")
    }
}
