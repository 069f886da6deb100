import CHDF5
import SharedArrays

/// Checks, before HDF5 reads anything, that the storage a dataset's layout points to can hold what its
/// dataspace declares and lies inside the file.
///
/// HDF5 1.10.8 trusts these fields: a compact dataset whose dims were enlarged past its stored bytes makes it
/// segfault in memcpy, and a chunk index record whose filter mask or size disagrees with the data is read as
/// numbers. Each check compares one field from the file with what the rest of the file implies, computed
/// without overflow:
/// - compact: the stored bytes cover `elements x element size`;
/// - contiguous (allocated, not external): the storage size covers the declared size, and `offset + size`
///   lies within the file's end of allocation (EOA) and its real size;
/// - chunked, for each chunk before it is read: `address + bytes read` lies within the EOA and the file's size;
///   an unfiltered chunk (no filters, or every filter skipped by its mask) is read as exactly the chunk's bytes,
///   so a record whose every filter is skipped must store exactly that (HDF5 would otherwise hand out
///   uninitialised heap memory past the stored bytes as values); a chunk with an address stores at least one
///   byte (HDF5 returns an unfilled buffer for a record of 0 bytes).
///   A filtered chunk's stored size has no upper bound beyond the end of the file: HDF5 (1.10 and 2.0) reads
///   the stored bytes and the decompressor stops at the end of its stream, so a record that claims more bytes
///   than the stream still gives the right values, and the file's size already bounds what is read.
///
/// ```swift
/// let check = try HDF5StorageCheck(file: fileID, dataset: datasetID, path: file, name: "/temperature")
/// try check.checkChunk(at: [0], address: address, size: size, filterMask: mask)
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
        let declared = Self.product(info.shape, times: elementSize)
        if layout == .chunked {
            guard let bytes = Self.product(chunkShape, times: elementSize), !chunkShape.isEmpty else {
                throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                                   "the chunk shape \(chunkShape) x \(elementSize) bytes does not fit in 64 bits")
            }
            chunkBytes = bytes
        } else {
            chunkBytes = 0
        }
        switch layout {
        case .compact:
            let stored = UInt64(H5Dget_storage_size(dataset))
            guard let declared, declared <= stored else {
                throw Self.tooSmall(path, name, "compact", declared: declared, shape: info.shape,
                                    elementSize: elementSize, stored: stored)
            }
        case .contiguous:
            let address = H5Dget_offset(dataset)
            // Not allocated (never written: fill values) or stored in external files: nothing in this file to check.
            guard address != Self.undefinedAddress, !Self.isExternal(dataset) else { return }
            let stored = UInt64(H5Dget_storage_size(dataset))
            guard let declared, declared <= stored else {
                throw Self.tooSmall(path, name, "contiguous", declared: declared, shape: info.shape,
                                    elementSize: elementSize, stored: stored)
            }
            try checkRange(address: UInt64(address), bytes: declared, what: "the contiguous data")
        case .chunked, .virtual:
            break
        }
    }

    /// Checks one chunk's index record (from `H5Dget_chunk_info_by_coord`) before it is read. `coordinates` are
    /// the chunk's first element; an unwritten chunk (undefined address) reads as fill values and passes.
    func checkChunk(at coordinates: [hsize_t], address: haddr_t, size: hsize_t, filterMask: UInt32) throws {
        guard address != Self.undefinedAddress else { return }
        let allSkipped = filterCount > 0 && filterCount <= 32
            && filterMask & UInt32(truncatingIfNeeded: (UInt64(1) << filterCount) - 1)
                == UInt32(truncatingIfNeeded: (UInt64(1) << filterCount) - 1)
        let stored = UInt64(size)
        let at = "chunk \(coordinates.map { Int($0) })"
        // HDF5 takes a record of 0 bytes with an address as present and hands out its read buffer unfilled.
        guard stored > 0 else {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged chunk index: \(at) has an address but stores 0 bytes")
        }
        if filterCount == 0 {
            // HDF5 reads an unfiltered chunk as chunkBytes at its address, whatever (nonzero) size the record gives.
            try checkRange(address: UInt64(address), bytes: chunkBytes, what: at)
            return
        }
        if allSkipped && stored != chunkBytes {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged chunk index: \(at) skips every filter but stores \(stored) of \(chunkBytes) bytes")
        }
        try checkRange(address: UInt64(address), bytes: stored, what: at)
    }

    private func checkRange(address: UInt64, bytes: UInt64, what: String) throws {
        let (last, overflow) = address.addingReportingOverflow(bytes)
        guard !overflow, last <= end else {
            throw ArrayIOError(.invalidFormat, path: path, dataset: name,
                               "damaged or truncated file: \(what) at byte \(address) (+\(bytes) bytes) ends past the file's \(end) bytes")
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
