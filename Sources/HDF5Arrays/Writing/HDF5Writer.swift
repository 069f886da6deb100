import CHDF5
import Multiprocessing
import SharedArrays
import SystemPackage

/// Writes an HDF5 file from one process: create datasets (with intermediate groups, optional chunking,
/// shuffle and gzip), write element ranges, set attributes, close.
///
/// Serial HDF5 cannot have several processes write one file, so the writer lives in a single process; workers
/// fill shared memory and the owning process writes it out. ``init(creatingIn:)`` writes into an
/// ``AtomicOutputFile`` (the safe way to replace an output; ``HDF5DatasetOutput`` is the safe way to add or
/// replace one dataset of an existing file); ``init(path:)`` creates (or truncates) the regular file at exactly
/// the path given, and ``init(appendingTo:)`` changes a file in place. File locking is off,
/// so other processes may read datasets while the file is open. Not `Sendable`.
public final class HDF5Writer {
    /// The file being written, as given.
    public let path: String
    private var fileID: hid_t
    /// The descriptor a path-based writer opened the file with (HDF5 opened it through `/proc/self/fd`).
    private var heldDescriptor: FileDescriptor?

    /// Creates (or truncates) the HDF5 file at `path`. A symbolic link or other non-regular file at `path` is
    /// refused, never written through; to replace an output safely, use ``init(creatingIn:)``.
    public convenience init(path: String) throws {
        let file = try Self.openRegularFile(path, creating: true)
        try self.init(opening: file.pathForLibraries ?? path, reportingAs: path, create: true, holding: file)
    }

    /// Opens the existing HDF5 file at `path` to add (or, after ``remove(_:)``, replace) datasets, in place: a
    /// process killed meanwhile can leave the file damaged (``HDF5DatasetOutput`` cannot). A symbolic link at
    /// `path` is refused, never written through.
    public convenience init(appendingTo path: String) throws {
        let file = try Self.openRegularFile(path, creating: false)
        try self.init(opening: file.pathForLibraries ?? path, reportingAs: path, create: false, holding: file)
    }

    /// Opens (or creates) the regular file at `path` for writing without following a symbolic link, so HDF5
    /// can then open that very file through its descriptor.
    private static func openRegularFile(_ path: String, creating: Bool) throws -> FileDescriptor {
        do {
            try AtomicOutputFile.checkDestination(path)
        } catch let error as OutputFileError {
            throw ArrayIOError(error)
        }
        let options: FileDescriptor.OpenOptions = creating ? [.create, .noFollow, .closeOnExec] : [.noFollow, .closeOnExec]
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(FilePath(path), .readWrite, options: options, permissions: FilePermissions(rawValue: 0o666))
        } catch .tooManySymbolicLinkLevels {
            throw ArrayIOError(.invalidArgument, path: path, "is a symbolic link; refusing to write through or replace it")
        } catch .noSuchFileOrDirectory where !creating {
            throw ArrayIOError(.fileNotFound, path: path, "no such file")
        } catch {
            throw ArrayIOError(.ioFailure, path: path, "cannot open for writing: \(error)")
        }
        guard let status = try? file.status(), status.kind == .regular else {
            file.closeIgnoringErrors()
            throw ArrayIOError(.invalidArgument, path: path, "is not a regular file; refusing to write to it")
        }
        return file
    }

    /// Creates a new HDF5 file inside `output`'s temporary file (through the descriptor it holds, so no
    /// name in the directory is followed); errors name `output`'s destination. Close the writer, then
    /// commit `output`.
    public convenience init(creatingIn output: AtomicOutputFile) throws {
        try self.init(opening: output.pathForLibraries, reportingAs: output.destination, create: true)
    }

    /// Opens the HDF5 file already copied into `output`'s temporary file (``AtomicOutputFile/copyContents(of:)``)
    /// to add or replace datasets; errors name `output`'s destination.
    public convenience init(appendingIn output: AtomicOutputFile) throws {
        try self.init(opening: output.pathForLibraries, reportingAs: output.destination, create: false)
    }

    /// - Parameter holding: a descriptor of the file that `file` names through `/proc/self/fd`, kept open (so
    ///   that name stays valid) until the writer closes; closed here on failure.
    private init(opening file: String, reportingAs path: String, create: Bool, holding: FileDescriptor? = nil) throws {
        HDF5.prepare()
        self.path = path
        self.heldDescriptor = holding
        var opened = false
        defer { if !opened { holding?.closeIgnoringErrors() } }
        let fapl = H5Pcreate(mp_h5p_file_access())
        guard fapl >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, "cannot create a file access property list\(HDF5.lastErrorSuffix())")
        }
        defer { H5Pclose(fapl) }
        _ = H5Pset_file_locking(fapl, false, true)
        let id = create
            ? H5Fcreate(file, mp_h5f_acc_trunc(), mp_h5p_default(), fapl) : H5Fopen(file, mp_h5f_acc_rdwr(), fapl)
        guard id >= 0 else {
            let what = create ? "cannot create the HDF5 file" : "cannot open the HDF5 file for writing"
            throw ArrayIOError(.ioFailure, path: path, "\(what)\(HDF5.lastErrorSuffix())")
        }
        fileID = id
        opened = true
    }

    /// Removes the link `object` (a dataset or group) from the file.
    public func remove(_ object: String) throws {
        let name = HDF5.normalized(object)
        let file = try openFileID(dataset: name)
        guard H5Ldelete(file, name, mp_h5p_default()) >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot remove\(HDF5.lastErrorSuffix())")
        }
    }

    /// Creates and returns a writer for a new file at `path`.
    public static func create(path: String) throws -> HDF5Writer { try HDF5Writer(path: path) }

    deinit {
        if fileID >= 0 { H5Fclose(fileID) }
        heldDescriptor?.closeIgnoringErrors()
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { fileID < 0 }

    /// Flushes and closes the file. Safe to call more than once.
    public func close() throws {
        guard fileID >= 0 else { return }
        HDF5.prepare()
        let status = H5Fclose(fileID)
        fileID = -1
        heldDescriptor?.closeIgnoringErrors()
        heldDescriptor = nil
        guard status >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, "closing the HDF5 file failed\(HDF5.lastErrorSuffix())")
        }
    }

    /// Writes everything buffered so far to the file, so another process can open it and see the datasets
    /// written so far (file locking is off; HDF5 gives no guarantee for a reader racing an unflushed writer).
    public func flush() throws {
        let file = try openFileID(dataset: nil)
        guard H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, "flushing the HDF5 file failed\(HDF5.lastErrorSuffix())")
        }
    }

    private func openFileID(dataset: String?) throws -> hid_t {
        guard fileID >= 0 else {
            throw ArrayIOError(.invalidArgument, path: path, dataset: dataset, "the writer is closed")
        }
        HDF5.prepare()
        return fileID
    }

    /// Creates dataset `dataset` (e.g. `/results/mean`; missing groups are created) holding `dtype` values
    /// (stored little-endian) of `shape` (`[]` for a scalar).
    ///
    /// - Parameters:
    ///   - chunkRows: rows of the first dimension per chunk. Chunking is used when this, `gzipLevel` or
    ///     `shuffle` is given; without `chunkRows` a chunk holds about 1 MiB of whole rows.
    ///   - gzipLevel: deflate level 0...9, or nil for no compression.
    ///   - shuffle: add the byte-shuffle filter (before gzip; it helps compression of numbers).
    public func createDataset(_ dataset: String, dtype: DType, shape: [Int], chunkRows: Int? = nil,
                              gzipLevel: Int? = nil, shuffle: Bool = false) throws {
        let name = HDF5.normalized(dataset)
        let file = try openFileID(dataset: name)
        func failure(_ what: String) -> ArrayIOError {
            ArrayIOError(.ioFailure, path: path, dataset: name, "\(what)\(HDF5.lastErrorSuffix())")
        }
        guard !HDF5.components(dataset).isEmpty else {
            throw ArrayIOError(.invalidArgument, path: path, dataset: name, "a dataset needs a name")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ArrayIOError(.invalidArgument, path: path, dataset: name, "invalid shape \(shape)")
        }
        if let gzipLevel, !(0...9).contains(gzipLevel) {
            throw ArrayIOError(.invalidArgument, path: path, dataset: name, "gzip level \(gzipLevel) is not in 0...9")
        }
        if let chunkRows, chunkRows < 1 {
            throw ArrayIOError(.invalidArgument, path: path, dataset: name, "chunkRows must be at least 1, not \(chunkRows)")
        }
        let chunked = chunkRows != nil || gzipLevel != nil || shuffle
        if chunked && shape.isEmpty {
            throw ArrayIOError(.invalidArgument, path: path, dataset: name,
                               "a scalar dataset cannot be chunked or compressed")
        }
        if H5Lexists(file, name, mp_h5p_default()) > 0 {
            throw ArrayIOError(.invalidArgument, path: path, dataset: name, "already exists")
        }

        var dims = shape.map { hsize_t($0) }
        let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), &dims, nil)
        guard space >= 0 else { throw failure("cannot create the dataspace for shape \(shape)") }
        defer { H5Sclose(space) }

        let lcpl = H5Pcreate(mp_h5p_link_create())
        guard lcpl >= 0 else { throw failure("cannot create a link creation property list") }
        defer { H5Pclose(lcpl) }
        guard H5Pset_create_intermediate_group(lcpl, 1) >= 0 else { throw failure("cannot enable intermediate groups") }

        let dcpl = H5Pcreate(mp_h5p_dataset_create())
        guard dcpl >= 0 else { throw failure("cannot create a dataset creation property list") }
        defer { H5Pclose(dcpl) }
        if chunked {
            let rowElements = shape.dropFirst().reduce(1, *)
            let rowBytes = max(1, rowElements * dtype.byteSize)
            var rows = chunkRows ?? max(1, (1 << 20) / rowBytes)
            rows = max(1, min(rows, shape[0]))
            var chunk = [hsize_t(rows)] + shape.dropFirst().map { hsize_t(max(1, $0)) }
            let chunkBytes = chunk.reduce(hsize_t(dtype.byteSize), *)
            guard chunkBytes < 0xFFFF_FFFF else {
                throw ArrayIOError(.invalidArgument, path: path, dataset: name,
                                   "a chunk of \(rows) rows is \(chunkBytes) bytes; HDF5 allows at most 4 GiB")
            }
            guard H5Pset_chunk(dcpl, Int32(chunk.count), &chunk) >= 0 else { throw failure("cannot set chunk shape \(chunk)") }
            if shuffle {
                guard H5Pset_shuffle(dcpl) >= 0 else { throw failure("cannot add the shuffle filter") }
            }
            if let gzipLevel {
                guard H5Pset_deflate(dcpl, UInt32(gzipLevel)) >= 0 else { throw failure("cannot add the gzip filter") }
            }
        }
        let id = H5Dcreate2(file, name, HDF5.fileType(dtype), space, lcpl, dcpl, mp_h5p_default())
        guard id >= 0 else { throw failure("cannot create the dataset") }
        H5Dclose(id)
    }

    /// Writes elements `range` (flat C-order indices over the whole dataset) from `source`, which holds
    /// `range.count` values of `dtype` (HDF5 converts to the dataset's stored type). Any range works; a range of
    /// whole rows (always, for 1-D data) is a single hyperslab write.
    public func writeElements(dataset: String, range: Range<Int>, from source: UnsafeRawPointer, dtype: DType) throws {
        let name = HDF5.normalized(dataset)
        let file = try openFileID(dataset: name)
        try HDF5.checkDatasetPath(file: file, path: path, dataset: name)
        let id = mp_h5dopen(file, name)
        guard id >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot open the dataset\(HDF5.lastErrorSuffix())")
        }
        defer { H5Dclose(id) }
        let space = H5Dget_space(id)
        guard space >= 0, let shape = HDF5.shape(ofSpace: space) else {
            if space >= 0 { H5Sclose(space) }
            throw ArrayIOError(.ioFailure, path: path, dataset: name, "cannot read the dataspace\(HDF5.lastErrorSuffix())")
        }
        defer { H5Sclose(space) }
        let count = shape.reduce(1, *)
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw ArrayIOError(.invalidArgument, path: path, dataset: name,
                               "element range \(range.lowerBound)..<\(range.upperBound) is outside the dataset's \(count) elements (shape \(shape))")
        }
        if range.isEmpty { return }
        func failure() -> ArrayIOError {
            ArrayIOError(.ioFailure, path: path, dataset: name,
                         "writing elements \(range.lowerBound)..<\(range.upperBound) failed\(HDF5.lastErrorSuffix())")
        }
        let memoryType = HDF5.memoryType(dtype)
        if shape.isEmpty {
            guard H5Dwrite(id, memoryType, mp_h5s_all(), mp_h5s_all(), mp_h5p_default(), source) >= 0 else {
                throw failure()
            }
            return
        }
        for box in HyperslabPlan(shape: shape, range: range).boxes {
            guard H5Sselect_hyperslab(space, H5S_SELECT_SET, box.start, nil, box.count, nil) >= 0 else { throw failure() }
            var memoryCount = [hsize_t(box.elements)]
            let memorySpace = H5Screate_simple(1, &memoryCount, nil)
            guard memorySpace >= 0 else { throw failure() }
            defer { H5Sclose(memorySpace) }
            let offset = (box.flatStart - range.lowerBound) * dtype.byteSize
            guard H5Dwrite(id, memoryType, memorySpace, space, mp_h5p_default(), source + offset) >= 0 else {
                throw failure()
            }
        }
    }

    /// Sets (or replaces) attribute `name` on `object` (a dataset or group path; `/` is the file's root).
    /// Strings are stored as variable-length UTF-8, integers as int64, floats as float64.
    public func setAttribute(name: String, value: HDF5AttributeValue, on object: String = "/") throws {
        let objectName = HDF5.normalized(object)
        let file = try openFileID(dataset: objectName)
        let objectID = try HDF5.openObject(file: file, path: path, object: objectName)
        defer { H5Oclose(objectID) }
        func failure() -> ArrayIOError {
            ArrayIOError(.ioFailure, path: path, dataset: objectName,
                         "cannot write attribute '\(name)'\(HDF5.lastErrorSuffix())")
        }
        if H5Aexists(objectID, name) > 0 {
            guard H5Adelete(objectID, name) >= 0 else { throw failure() }
        }
        switch value {
        case let .string(text):
            guard mp_h5_write_string_attribute(objectID, name, text) >= 0 else { throw failure() }
        case let .int(number):
            var stored = Int64(number)
            try writeNumeric(objectID, name: name, fileType: mp_h5t_std_i64le(), memoryType: mp_h5t_native_int64(),
                             count: nil, pointer: &stored, failure: failure)
        case let .double(number):
            var stored = number
            try writeNumeric(objectID, name: name, fileType: mp_h5t_ieee_f64le(), memoryType: mp_h5t_native_double(),
                             count: nil, pointer: &stored, failure: failure)
        case let .ints(numbers):
            var stored = numbers.map { Int64($0) }
            try writeNumeric(objectID, name: name, fileType: mp_h5t_std_i64le(), memoryType: mp_h5t_native_int64(),
                             count: stored.count, pointer: &stored, failure: failure)
        case let .doubles(numbers):
            var stored = numbers
            try writeNumeric(objectID, name: name, fileType: mp_h5t_ieee_f64le(), memoryType: mp_h5t_native_double(),
                             count: stored.count, pointer: &stored, failure: failure)
        case let .other(text):
            throw ArrayIOError(.invalidArgument, path: path, dataset: objectName,
                               "cannot write attribute '\(name)' of kind \(text)")
        }
    }

    /// Sets a string attribute.
    public func setAttribute(name: String, value: String, on object: String = "/") throws {
        try setAttribute(name: name, value: .string(value), on: object)
    }

    /// Sets a float64 attribute.
    public func setAttribute(name: String, value: Double, on object: String = "/") throws {
        try setAttribute(name: name, value: .double(value), on: object)
    }

    /// Sets an int64 attribute.
    public func setAttribute(name: String, value: Int, on object: String = "/") throws {
        try setAttribute(name: name, value: .int(value), on: object)
    }

    private func writeNumeric(_ objectID: hid_t, name: String, fileType: hid_t, memoryType: hid_t, count: Int?,
                              pointer: UnsafeRawPointer, failure: () -> ArrayIOError) throws {
        var dims = [hsize_t(count ?? 1)]
        let space = count == nil ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil)
        guard space >= 0 else { throw failure() }
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(objectID, name, fileType, space, mp_h5p_default(), mp_h5p_default())
        guard attribute >= 0 else { throw failure() }
        defer { H5Aclose(attribute) }
        guard H5Awrite(attribute, memoryType, pointer) >= 0 else { throw failure() }
    }
}
