import CHDF5
import SharedArrays

extension HDF5 {
    /// Reads elements `range` (flat C-order indices over the whole dataset, N-D data flattened) of `dataset` in
    /// the HDF5 file at `file` into `destination` as `target`. `destination` must have room for
    /// `range.count * target.byteSize` bytes.
    ///
    /// Read through ``HDF5DatasetReader``: whole gzip chunks inflated by libdeflate straight into place where
    /// the stored type is the target's; otherwise HDF5 converts from the stored type (any integer or float
    /// type, either byte order) to `target`'s native type while reading. A range of whole rows of the first
    /// dimension (always true for 1-D data) is one hyperslab read straight into `destination`; any other range
    /// is split into at most `2 * rank - 1` hyperslabs, each also read straight into its place. Opens and
    /// closes the file: call it in the process (for example the forked worker) that uses the data.
    public static func readElements(file: String, dataset: String, range: Range<Int>,
                                    into destination: UnsafeMutableRawPointer, as target: DType) throws {
        let reader = try HDF5DatasetReader(file: file, dataset: dataset)
        defer { reader.close() }
        try reader.readElements(range: range, into: destination, as: target)
    }
}

/// An HDF5 dataset opened read-only for several range reads in one process: the one read path of every
/// command (`load(hdf5:)`, `stats`, `map`, `batch`).
///
/// ``readElements(range:into:as:)`` is the entry point: "read this element range of this dataset into this
/// buffer". Where the filter pipeline allows (chunks of whole rows, gzip with or without shuffle, the stored
/// type equal to the type read), whole chunks are read raw and inflated by libdeflate straight into the
/// buffer (``RawChunkInflater``); every other layout, filter, type conversion and never-written chunk goes
/// through `H5Dread`, hyperslab by hyperslab. Both give the same bytes.
///
/// Open it in the process that reads (after a fork, never before) and close it there; ``close()`` is also
/// called on deinit. Not `Sendable`: one reader belongs to one process and one thread at a time.
public final class HDF5DatasetReader {
    /// The file, as given.
    public let file: String
    /// What the dataset holds.
    public let info: HDF5DatasetInfo

    private var fileID: hid_t
    private var datasetID: hid_t
    private var spaceID: hid_t
    /// Storage checked against the file before reading (compact and contiguous at open, chunks as reached).
    private let storage: HDF5StorageCheck
    /// Chunks already checked by this reader, by their flat index in the chunk grid (C order).
    private var checkedChunks: Set<UInt64> = []
    /// Where a filtered chunk is read raw to learn its filter mask.
    private var scratch: UnsafeMutableRawPointer?
    private var scratchBytes = 0

    /// How an element is read: the stored class decides whether HDF5 converts straight to the target.
    private let element: HDF5ElementRead
    /// Whether whole chunks may be read raw and inflated here (false: always `H5Dread`).
    private let rawChunks: Bool
    /// The raw-chunk lane for the last target type asked for (nil inside: that type goes through `H5Dread`).
    private var inflater: (target: DType, lane: RawChunkInflater?)?

    /// Opens `dataset` in `file` read-only (file locking off) and checks that it holds numbers (or, with
    /// `field`, that it is compound with that numeric member), that every filter it needs is available, and
    /// that its compact or contiguous storage holds the declared size inside the file (see
    /// ``HDF5StorageCheck``).
    public convenience init(file: String, dataset: String, field: String? = nil) throws {
        try self.init(file: file, dataset: dataset, field: field, rawChunks: true)
    }

    /// `rawChunks: false` reads everything through `H5Dread` (tests compare the two lanes).
    init(file: String, dataset: String, field: String?, rawChunks: Bool) throws {
        self.file = file
        self.rawChunks = rawChunks
        let fileID = try HDF5.openFile(file)
        var datasetID: hid_t = -1
        var spaceID: hid_t = -1
        do {
            datasetID = try HDF5.openDataset(file: fileID, path: file, dataset: dataset)
            let whole = try HDF5.info(dataset: datasetID, name: HDF5.normalized(dataset), path: file)
            let info = try field.map { try whole.selecting(field: $0, file: file) } ?? whole
            guard info.dtype != nil else { throw info.notNumericError(file: file) }
            element = try HDF5ElementRead(dataset: datasetID, field: field, path: file, name: info.path)
            storage = try HDF5StorageCheck(file: fileID, dataset: datasetID, path: file, name: info.path, info: info)
            try HDF5FilterAvailability.check(dataset: datasetID, path: file, name: info.path, includingOptional: false)
            spaceID = H5Dget_space(datasetID)
            guard spaceID >= 0 else {
                throw ArrayIOError(.ioFailure, path: file, dataset: info.path,
                                   "cannot read the dataspace\(HDF5.lastErrorSuffix())")
            }
            self.info = info
        } catch {
            if spaceID >= 0 { H5Sclose(spaceID) }
            if datasetID >= 0 { H5Dclose(datasetID) }
            H5Fclose(fileID)
            throw error
        }
        self.fileID = fileID
        self.datasetID = datasetID
        self.spaceID = spaceID
    }

    deinit {
        close()
        scratch?.deallocate()
    }

    /// Closes the dataset and the file. Safe to call more than once.
    public func close() {
        inflater = nil
        if spaceID >= 0 { H5Sclose(spaceID); spaceID = -1 }
        if datasetID >= 0 { H5Dclose(datasetID); datasetID = -1 }
        if fileID >= 0 { H5Fclose(fileID); fileID = -1 }
    }

    /// Reads elements `range` (flat C-order indices) into `destination` as `target`;
    /// see ``HDF5/readElements(file:dataset:range:into:as:)``.
    public func readElements(range: Range<Int>, into destination: UnsafeMutableRawPointer, as target: DType) throws {
        HDF5.prepare()
        let count = info.count
        guard datasetID >= 0 else {
            throw ArrayIOError(.invalidArgument, path: file, dataset: info.path, "the reader is closed")
        }
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw ArrayIOError(.invalidArgument, path: file, dataset: info.path,
                               "element range \(range.lowerBound)..<\(range.upperBound) is outside the dataset's \(count) elements (shape \(info.shape))")
        }
        if range.isEmpty { return }
        if let lane = rawChunkLane(for: target) {
            try lane.read(range: range, into: destination) { try readHyperslabs($0, into: $1, as: target) }
        } else {
            try readHyperslabs(range, into: destination, as: target)
        }
    }

    /// Whether reads as `target` inflate raw chunks here rather than go through `H5Dread`.
    func inflatesRawChunks(as target: DType) -> Bool { rawChunkLane(for: target) != nil }

    private func rawChunkLane(for target: DType) -> RawChunkInflater? {
        guard rawChunks, element.field == nil, element.bitfieldBytes == nil, datasetID >= 0 else { return nil }
        if let inflater, inflater.target == target { return inflater.lane }
        let lane = RawChunkInflater(dataset: datasetID, info: info, storage: storage, target: target, file: file)
        inflater = (target, lane)
        return lane
    }

    /// Reads `range` (checked, not empty) through `H5Dread`, converted to `target` by HDF5.
    private func readHyperslabs(_ range: Range<Int>, into destination: UnsafeMutableRawPointer, as target: DType) throws {
        let memory = try element.memoryType(for: target)
        defer { memory.close() }
        let memoryType = memory.id
        if info.shape.isEmpty {
            // A scalar dataset: the range is 0..<1.
            guard H5Dread(datasetID, memoryType, mp_h5s_all(), mp_h5s_all(), mp_h5p_default(), destination) >= 0,
                memory.widen(destination, count: 1, to: target)
            else {
                throw readFailure(range: range, target: target)
            }
            return
        }
        // The plan multiplies trailing extents: a declared shape past Int.max elements (which no
        // SizeLimit admits, but this public read does not apply one) is refused, not a trap.
        guard CheckedSize.elementCount(info.shape) != nil else {
            throw ArrayIOError(.tooLarge, path: file, dataset: info.path,
                               "declared shape \(info.shape) has more elements than can be addressed")
        }
        let plan = HyperslabPlan(shape: info.shape, range: range)
        for box in plan.boxes {
            if info.layout == .chunked { try checkChunks(of: box, range: range) }
            guard H5Sselect_hyperslab(spaceID, H5S_SELECT_SET, box.start, nil, box.count, nil) >= 0 else {
                throw readFailure(range: range, target: target)
            }
            var memoryCount = [hsize_t(box.elements)]
            let memorySpace = H5Screate_simple(1, &memoryCount, nil)
            guard memorySpace >= 0 else { throw readFailure(range: range, target: target) }
            defer { H5Sclose(memorySpace) }
            let offset = (box.flatStart - range.lowerBound) * target.byteSize
            guard H5Dread(datasetID, memoryType, memorySpace, spaceID, mp_h5p_default(), destination + offset) >= 0,
                memory.widen(destination + offset, count: box.elements, to: target)
            else {
                throw readFailure(range: range, target: target)
            }
        }
    }

    /// Checks the index record of every chunk the box touches (each once per reader) before HDF5 reads them
    /// (HDF5 1.10.8 hands out whatever a damaged record makes of its buffer). One B-tree lookup per chunk, plus
    /// a direct read of a filtered chunk's stored bytes for its filter mask, done by the process that reads
    /// the chunk, so each worker checks only its own share.
    private func checkChunks(of box: HyperslabPlan.Box, range: Range<Int>) throws {
        let chunk = storage.chunkShape
        guard chunk.count == box.start.count, chunk.allSatisfy({ $0 > 0 }) else { return }
        let rank = chunk.count
        var first = [hsize_t](repeating: 0, count: rank), last = first
        for d in 0..<rank {
            guard box.count[d] > 0 else { return }
            first[d] = box.start[d] / hsize_t(chunk[d])
            last[d] = (box.start[d] + box.count[d] - 1) / hsize_t(chunk[d])
        }
        // The chunk grid's extent per dimension, for a flat key (nil if its product overflows: no memo then).
        var gridCount: UInt64? = 1
        var grid = [UInt64](repeating: 0, count: rank)
        for d in 0..<rank {
            let extent = UInt64(info.shape[d]), size = UInt64(chunk[d])
            grid[d] = extent / size + (extent % size == 0 ? 0 : 1)
            if let g = gridCount {
                let (product, overflow) = g.multipliedReportingOverflow(by: Swift.max(grid[d], 1))
                gridCount = overflow ? nil : product
            }
        }
        var index = first
        var origin = first
        while true {
            var key: UInt64 = 0
            for d in 0..<rank {
                origin[d] = index[d] * hsize_t(chunk[d])
                key = key &* grid[d] &+ UInt64(index[d])
            }
            if gridCount == nil || checkedChunks.insert(key).inserted {
                let stored = try storage.checkChunk(datasetID, at: origin)
                if stored > 0 && storage.isFiltered && !storage.usesIndexedLookup {
                    let buffer = try scratch(Int(stored))
                    var mask: UInt32 = 0
                    // A record that cannot be read directly (two records claiming one chunk) is left to H5Dread.
                    if H5Dread_chunk(datasetID, mp_h5p_default(), origin, &mask, buffer) >= 0 {
                        try storage.checkFilterMask(mask, stored: stored, at: origin)
                    }
                }
            }
            // Next chunk in C order; done when the first dimension runs past the last.
            var d = rank - 1
            while d >= 0 {
                if index[d] < last[d] { index[d] += 1; break }
                index[d] = first[d]
                d -= 1
            }
            if d < 0 { return }
        }
    }

    private func scratch(_ bytes: Int) throws -> UnsafeMutableRawPointer {
        if let scratch, scratchBytes >= bytes { return scratch }
        scratch?.deallocate()
        scratch = nil
        scratchBytes = 0
        let pointer = try alignedAllocation(bytes: bytes, for: "a chunk of \(file):\(info.path)")
        scratch = pointer
        scratchBytes = bytes
        return pointer
    }

    /// The error for a failed read: a filter HDF5 has no plugin for, named, or HDF5's reason.
    private func readFailure(range: Range<Int>, target: DType) -> ArrayIOError {
        let reason = HDF5.lastErrorSuffix()
        do {
            try HDF5FilterAvailability.check(dataset: datasetID, path: file, name: info.path, includingOptional: true)
        } catch let error as ArrayIOError {
            return error
        } catch {}
        return ArrayIOError(.ioFailure, path: file, dataset: info.path,
                     "reading elements \(range.lowerBound)..<\(range.upperBound) as \(target.rawValue) failed\(reason)")
    }
}
