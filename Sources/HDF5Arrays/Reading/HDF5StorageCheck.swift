import CHDF5
import SharedArrays

/// Checks, before HDF5 reads anything, that the storage a dataset's layout points to can hold what its
/// dataspace declares and lies inside the file.
///
/// HDF5 1.10.8 trusts these fields: a compact dataset whose dims were enlarged past its stored bytes makes it
/// segfault in memcpy, and a chunk index record whose filter mask or size disagrees with the data is read as
/// numbers. Each check compares one field from the file with what the rest of the file implies, computed
/// without overflow:
/// - the dataspace: no dimension past its maximum; a chunked layout's chunk rank equals the dataspace's rank
///   (a scalar dataspace over chunks made HDF5 1.10.8 spin in H5Dread); a float type is IEEE 754 binary16/32/64
///   (HDF5 1.10.8 converts any field layout; HDF5 2.0 and h5py refuse them);
/// - compact: the stored bytes are exactly `elements x element size`;
/// - contiguous (allocated, not external): the storage size covers the declared size, which is not 0, and
///   `offset + size` lies within the file's end of allocation (EOA) and its real size;
/// - chunked, at open, for datasets of at most ``indexedLookupLimit`` chunks: every record's offset is a
///   multiple of the chunk shape, inside the extent, unique, found again by the B-tree search a read uses,
///   and no two records share bytes
///   (HDF5 2.0 refuses a damaged key offset, "bad coordinate offset"; 1.10.8 read it as other numbers). Larger
///   datasets are not walked (each record costs one index walk in 1.10.8): a damaged key there is not detected;
/// - chunked, for each chunk before it is read (see ``checkChunk(_:at:)`` for what large datasets skip): its
///   `address + bytes read` lies within the EOA and the file's size; an unfiltered record stores exactly the
///   chunk's bytes; a chunk with an address stores at least
///   one byte (HDF5 returns an unfilled buffer for a record of 0 bytes); a record whose every filter is
///   skipped is read as raw data and must store exactly the chunk's bytes (HDF5 would otherwise hand out
///   uninitialised heap memory past the stored bytes as values). A filtered chunk's stored size has no tighter
///   upper bound: HDF5 (1.10 and 2.0) reads the stored bytes and the decompressor stops at the end of its
///   stream, so a record that claims more bytes than the stream still gives the right values (h5py agrees).
///
/// ```swift
/// let check = try HDF5StorageCheck(file: fileID, dataset: datasetID, path: file, name: "/t", info: info)
/// let stored = try check.checkChunk(datasetID, at: [0])
/// ```
struct HDF5StorageCheck {
    let path: String
    let name: String
    let layout: HDF5DatasetInfo.Layout
    /// The last byte address plus one that a read may touch: min(EOA, file size).
    let end: UInt64
    /// Bytes of one whole chunk (chunk elements x stored element size), for chunked datasets.
    let chunkBytes: UInt64
    /// The chunk shape, for chunked datasets.
    let chunkShape: [Int]
    let filterCount: Int

    /// HDF5's "undefined address" (all bits set).
    static let undefinedAddress = haddr_t.max

    /// Reads what the checks need and checks compact and contiguous storage at once.
    init(file: hid_t, dataset: hid_t, path: String, name: String, info: HDF5DatasetInfo) throws {
        self.path = path
        self.name = name
        layout = info.layout
        var eoa: haddr_t = 0
        var size: hsize_t = 0
        guard H5Fget_eoa(file, &eoa) >= 0, H5Fget_filesize(file, &size) >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot read the file's size\(HDF5.lastErrorSuffix())")
        }
        end = Swift.min(UInt64(eoa), UInt64(size))
        filterCount = info.filters.count
        chunkShape = info.chunkShape ?? []
        let type = H5Dget_type(dataset)
        guard type >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot read the datatype\(HDF5.lastErrorSuffix())")
        }
        let elementSize = UInt64(H5Tget_size(type))
        defer { H5Tclose(type) }
        try Self.checkBits(type, size: elementSize, path: path, name: name)
        let space = try Self.checkSpace(dataset, layout: layout, path: path, name: name)
        let declared = Self.product(info.shape, times: elementSize)
        if layout == .chunked {
            guard let bytes = Self.product(chunkShape, times: elementSize), !chunkShape.isEmpty else {
                throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                                   "the chunk shape \(chunkShape) x \(elementSize) bytes does not fit in 64 bits")
            }
            chunkBytes = bytes
            var grid = 1
            for (extent, size) in zip(info.shape, chunkShape) where size > 0 {
                let (product, overflow) = grid.multipliedReportingOverflow(by: extent / size + (extent % size == 0 ? 0 : 1))
                grid = overflow ? Int.max : product
            }
            usesIndexedLookup = grid <= Self.indexedLookupLimit
            if usesIndexedLookup {
                try Self.checkChunkOffsets(dataset, space: space, chunkShape: chunkShape, grid: grid, filtered: filterCount > 0,
                                           path: path, name: name)
            }
        } else {
            chunkBytes = 0
            usesIndexedLookup = false
        }
        switch layout {
        case .compact:
            let stored = UInt64(H5Dget_storage_size(dataset))
            // Equal, not only large enough: a smaller shape over the same bytes gives other numbers.
            guard let declared, declared == stored else {
                throw Self.tooSmall(path, name, "compact", declared: declared, shape: info.shape,
                                    elementSize: elementSize, stored: stored)
            }
        case .contiguous:
            let address = H5Dget_offset(dataset)
            // Not allocated (never written: fill values) or stored in external files: nothing in this file to check.
            guard address != Self.undefinedAddress, !Self.isExternal(dataset) else { return }
            let stored = UInt64(H5Dget_storage_size(dataset))
            // Fewer elements than stored are read as that prefix (as HDF5 2.0 does); none at an allocated
            // address is a damaged shape (HDF5 2.0: "invalid dataset size").
            guard let declared, declared <= stored, declared > 0 else {
                throw Self.tooSmall(path, name, "contiguous", declared: declared, shape: info.shape,
                                    elementSize: elementSize, stored: stored)
            }
            try checkRange(address: UInt64(address), bytes: declared, what: "the contiguous data")
        case .chunked, .virtual:
            break
        }
    }

    /// Checks one chunk's index record before the chunk is read and returns its stored size (0 for a chunk
    /// never written, read as fill values).
    ///
    /// With at most ``indexedLookupLimit`` chunks the whole record is checked (`H5Dget_chunk_info_by_coord`:
    /// address, size and filter mask). That call walks the whole chunk index in HDF5 1.10 (46 us per chunk at
    /// 10^4 chunks here), so larger datasets use `H5Dget_chunk_storage_size` (one B-tree lookup, 0.4 us) and the
    /// filter mask that a direct chunk read reports (``checkFilterMask``); their addresses are left to HDF5,
    /// which checks `address + size` against the end of allocation on every read (`addr overflow`), while
    /// H5Fopen refuses a file shorter than its end of allocation.
    func checkChunk(_ dataset: hid_t, at origin: [hsize_t]) throws -> UInt64 {
        if usesIndexedLookup {
            var mask: UInt32 = 0
            var address: haddr_t = 0
            var size: hsize_t = 0
            guard H5Dget_chunk_info_by_coord(dataset, origin, &mask, &address, &size) >= 0 else {
                throw ArrayIOError(.ioFailure, path: path, dataset: name,
                                   "cannot look up chunk \(origin.map { Int($0) })\(HDF5.lastErrorSuffix())")
            }
            guard address != Self.undefinedAddress else { return 0 }
            try checkRecord(at: origin, address: UInt64(address), stored: UInt64(size), filterMask: mask)
            return UInt64(size)
        }
        var size: hsize_t = 0
        // Fails ("not allocated") for a chunk never written.
        guard H5Dget_chunk_storage_size(dataset, origin, &size) >= 0 else { return 0 }
        if size == 0 {
            // A record of 0 bytes at an address: HDF5 takes the chunk as present and hands out its read buffer
            // unfilled. (For an unfiltered dataset this lookup reports the chunk's full size instead.)
            throw zeroBytes(origin)
        }
        guard UInt64(size) <= end else {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged chunk index: chunk \(origin.map { Int($0) }) stores \(size) bytes, more than the file's \(end)")
        }
        return UInt64(size)
    }

    /// Datasets with at most this many chunks get the full per-chunk record check.
    static let indexedLookupLimit = 1024

    private func zeroBytes(_ origin: [hsize_t]) -> ArrayIOError {
        ArrayIOError(.invalidFormat, path: path, dataset: name,
                     "damaged chunk index: chunk \(origin.map { Int($0) }) has an address but stores 0 bytes")
    }

    private func checkRecord(at origin: [hsize_t], address: UInt64, stored: UInt64, filterMask: UInt32) throws {
        let at = "chunk \(origin.map { Int($0) })"
        guard stored > 0 else { throw zeroBytes(origin) }
        if filterCount == 0 {
            // HDF5 1.10.8 reads an unfiltered chunk as chunkBytes at its address, whatever (nonzero) size the record
            // gives; HDF5 2.0 reads the record's bytes and leaves the rest of the chunk uninitialised.
            guard stored == chunkBytes else {
                throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                                   "damaged chunk index: unfiltered \(at) stores \(stored) of its \(chunkBytes) bytes")
            }
            try checkRange(address: address, bytes: chunkBytes, what: at)
            return
        }
        try checkFilterMask(filterMask, stored: stored, at: origin)
        try checkRange(address: address, bytes: stored, what: at)
    }

    /// Whether the dataset has filters, so that a chunk's filter mask matters.
    var isFiltered: Bool { filterCount > 0 }
    /// Whether ``checkChunk(_:at:)`` checks whole records (few chunks) or sizes only (see there).
    let usesIndexedLookup: Bool

    /// Checks the filter mask a direct chunk read (`H5Dread_chunk`) reported: a chunk whose record skips every
    /// filter is read as raw data of exactly the chunk's bytes, so it must store exactly that many.
    func checkFilterMask(_ mask: UInt32, stored: UInt64, at origin: [hsize_t]) throws {
        guard filterCount > 0, filterCount <= 32 else { return }
        let all = UInt32(truncatingIfNeeded: (UInt64(1) << filterCount) - 1)
        if mask & all == all && stored != chunkBytes {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged chunk index: chunk \(origin.map { Int($0) }) skips every filter but stores \(stored) of \(chunkBytes) bytes")
        }
    }

    private func checkRange(address: UInt64, bytes: UInt64, what: String) throws {
        let (last, overflow) = address.addingReportingOverflow(bytes)
        guard !overflow, last <= end else {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged or truncated file: \(what) at byte \(address) (+\(bytes) bytes) ends past the file's \(end) bytes")
        }
    }

    /// Checks the dataspace against itself and the layout and returns its (unlimited) dimensions: no
    /// dimension past its maximum, and a chunked layout's chunk rank equal to the dataspace's rank (a scalar
    /// dataspace with chunked storage makes HDF5 1.10.8 loop in H5Dread; HDF5 2.0 refuses both).
    private static func checkSpace(_ dataset: hid_t, layout: HDF5DatasetInfo.Layout, path: String,
                                   name: String) throws -> [hsize_t] {
        let space = H5Dget_space(dataset)
        guard space >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot read the dataspace\(HDF5.lastErrorSuffix())")
        }
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        var dims = [hsize_t](repeating: 0, count: max(rank, 0))
        var maxDims = dims
        guard rank >= 0, rank == 0 || H5Sget_simple_extent_dims(space, &dims, &maxDims) == rank else {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name, "cannot read the dataspace\(HDF5.lastErrorSuffix())")
        }
        for (axis, (size, maximum)) in zip(dims, maxDims).enumerated() where maximum != hsize_t.max && size > maximum {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged file: dimension \(axis) has size \(size), more than its maximum \(maximum)")
        }
        guard layout == .chunked else { return dims }
        let dcpl = H5Dget_create_plist(dataset)
        guard dcpl >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot read the creation properties\(HDF5.lastErrorSuffix())")
        }
        defer { H5Pclose(dcpl) }
        var chunk = [hsize_t](repeating: 0, count: 32)
        let chunkRank = Int(H5Pget_chunk(dcpl, Int32(chunk.count), &chunk))
        let kind = H5Sget_simple_extent_type(space)
        guard kind == H5S_SIMPLE, rank > 0, chunkRank == rank else {
            let what = kind == H5S_SIMPLE ? "\(rank)-dimensional" : (kind == H5S_SCALAR ? "scalar" : "empty (null)")
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged file: a \(what) dataspace with \(chunkRank)-dimensional chunks")
        }
        return dims
    }

    /// Checks every chunk record's logical offset (one index walk per record, so only for datasets of at most
    /// ``indexedLookupLimit`` chunks): a multiple of the chunk shape, inside the extent, and no two records at
    /// one offset. HDF5 1.10.8 reads a record whose key offset was damaged as another chunk, or leaves its
    /// chunk to fill values; HDF5 2.0 refuses it ("bad coordinate offset").
    private static func checkChunkOffsets(_ dataset: hid_t, space dims: [hsize_t], chunkShape: [Int], grid: Int,
                                          filtered: Bool, path: String, name: String) throws {
        let space = H5Dget_space(dataset)
        guard space >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot read the dataspace\(HDF5.lastErrorSuffix())")
        }
        defer { H5Sclose(space) }
        var count: hsize_t = 0
        guard H5Dget_num_chunks(dataset, space, &count) >= 0 else {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged chunk index: cannot count its records\(HDF5.lastErrorSuffix())")
        }
        guard count <= UInt64(grid) else {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged chunk index: \(count) records for a grid of \(grid) chunks")
        }
        var seen = Set<[hsize_t]>()
        var extents: [(start: UInt64, end: UInt64, index: hsize_t)] = []
        var offset = [hsize_t](repeating: 0, count: dims.count)
        for index in 0..<count {
            var mask: UInt32 = 0
            var address: haddr_t = 0
            var size: hsize_t = 0
            guard H5Dget_chunk_info(dataset, space, index, &offset, &mask, &address, &size) >= 0 else {
                throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                                   "damaged chunk index: cannot read record \(index)\(HDF5.lastErrorSuffix())")
            }
            let aligned = zip(offset, zip(chunkShape, dims)).allSatisfy { start, shape in
                shape.0 > 0 && start % UInt64(shape.0) == 0 && (start < shape.1 || (start == 0 && shape.1 == 0))
            }
            guard aligned, seen.insert(offset).inserted else {
                throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                                   "damaged chunk index: record \(index) has offset \(offset), "
                                   + (aligned ? "which another record has too" : "not a chunk of shape \(chunkShape) inside \(dims)"))
            }
            // The walk above reads each record's offset; a read finds a chunk by a B-tree search instead, which
            // a damaged key (the element-size coordinate, or a node's right key) can lead elsewhere.
            var found: hsize_t = 0
            guard H5Dget_chunk_storage_size(dataset, offset, &found) >= 0, filtered ? found == size : true else {
                throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                                   "damaged chunk index: the search for chunk \(offset) does not find record \(index)")
            }
            if address != undefinedAddress {
                // A filtered record may claim more bytes than its stream uses (read right, see above): only its
                // first byte is its own for sure.
                let (end, overflow) = UInt64(address).addingReportingOverflow(filtered ? 1 : UInt64(size))
                extents.append((UInt64(address), overflow ? UInt64.max : end, index))
            }
        }
        // No two chunks share bytes: a record pointing at another chunk's bytes reads that chunk's numbers.
        extents.sort { $0.start < $1.start }
        for (before, after) in zip(extents, extents.dropFirst()) where after.start < before.end {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged chunk index: records \(before.index) and \(after.index) share bytes from \(after.start)")
        }
    }

    /// `dims` multiplied together and by `size`, or nil on overflow.
    static func product(_ dims: [Int], times size: UInt64) -> UInt64? {
        var total = size
        for d in dims {
            guard d >= 0 else { return nil }
            let (next, overflow) = total.multipliedReportingOverflow(by: UInt64(d))
            if overflow { return nil }
            total = next
        }
        return total
    }

    /// A number type's bits (offset + precision) must fit in its bytes: HDF5 1.10.8 converts such a type
    /// into numbers anyway; HDF5 2.0 refuses it ("offset+precision out of bounds").
    private static func checkBits(_ type: hid_t, size: UInt64, path: String, name: String) throws {
        let typeClass = H5Tget_class(type)
        guard typeClass == H5T_INTEGER || typeClass == H5T_FLOAT else { return }
        let offset = UInt64(H5Tget_offset(type)), precision = UInt64(H5Tget_precision(type))
        let (bits, overflow) = offset.addingReportingOverflow(precision)
        guard !overflow, bits <= size &* 8, precision > 0, size > 0 else {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged file: the number type's bit offset \(offset) + precision \(precision) exceed its \(size) bytes")
        }
        guard typeClass == H5T_FLOAT else { return }
        // HDF5 1.10.8 converts any field layout bit by bit; HDF5 2.0 refuses fields outside the precision, and
        // h5py refuses a layout that is not IEEE 754 binary16/32/64. Only those are read.
        var sign = 0, exponentAt = 0, exponentBits = 0, mantissaAt = 0, mantissaBits = 0
        H5Tget_fields(type, &sign, &exponentAt, &exponentBits, &mantissaAt, &mantissaBits)
        let fields = [sign, exponentAt, exponentBits, mantissaAt, mantissaBits, Int(H5Tget_ebias(type))]
        let ieee: [UInt64: [Int]] = [2: [15, 10, 5, 0, 10, 15], 4: [31, 23, 8, 0, 23, 127], 8: [63, 52, 11, 0, 52, 1023]]
        guard offset == 0, precision == size &* 8, ieee[size] == fields, H5Tget_norm(type) == H5T_NORM_IMPLIED else {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged or unsupported file: a \(size)-byte float with fields (sign, exponent at, exponent bits, mantissa at, mantissa bits, bias) \(fields), not IEEE 754")
        }
    }

    private static func isExternal(_ dataset: hid_t) -> Bool {
        let dcpl = H5Dget_create_plist(dataset)
        guard dcpl >= 0 else { return false }
        defer { H5Pclose(dcpl) }
        return H5Pget_external_count(dcpl) > 0
    }

    private static func tooSmall(_ path: String, _ name: String, _ kind: String, declared: UInt64?, shape: [Int],
                                 elementSize: UInt64, stored: UInt64) -> ArrayIOError {
        let size = declared.map { "\($0) bytes" } ?? "more than 2^64 bytes"
        return ArrayIOError(.invalidFormat, path: path, dataset: name,
                            "damaged file: shape \(shape) of \(elementSize)-byte elements declares \(size), the \(kind) storage holds \(stored) bytes")
    }
}
