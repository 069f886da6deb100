import Multiprocessing

extension SharedArray {
    /// Loads a `.npy` file, mapping it read-only instead of copying it when `mapped` is true and its
    /// layout allows: the stored type is `Element`, in this machine's byte order, and the data offset is a
    /// multiple of the element size (numpy pads headers to 64 bytes). Then the load reads only the header:
    /// the workers read the file's pages from the page cache, no shared-memory segment is made, and the
    /// array is ``isReadOnly`` (in-place operations throw; `map`, reductions and views work). Any other
    /// file is loaded as ``load(npy:limit:on:)`` does.
    ///
    /// The header is checked against the file's size with overflow-checked arithmetic before anything is
    /// mapped, so a truncated or lying header is an error, never a SIGBUS. A file truncated by another
    /// process *while* it is mapped is the limit: a worker touching the lost pages dies of SIGBUS and the
    /// call fails naming the chunk. Replacing the file by rename (how numpy and `save(npy:)` write) is safe:
    /// the mapping keeps the old file.
    ///
    /// ```swift
    /// let x = try SharedArray<Double>.load(npy: "big.npy", mapped: true, on: pool)   // no copy
    /// let s = try x.statistics([.mean, .std])
    /// ```
    public static func load(npy path: String, mapped: Bool, limit: SizeLimit = .default, on pool: WorkerPool) throws -> SharedArray {
        guard mapped, let array = try loadMapped(npy: path, limit: limit, on: pool) else {
            return try load(npy: path, limit: limit, on: pool)
        }
        return array
    }

    /// The mapped array, or nil when the file's layout needs a copy (another type, byte order or alignment).
    static func loadMapped(npy path: String, limit: SizeLimit, on pool: WorkerPool) throws -> SharedArray? {
        let header = try NpyFile.read(path: path)
        _ = try limit.admit(shape: header.shape, dtype: Element.dtype, path: path)
        guard canMapFile(header) else { return nil }
        let storage: ArrayStorage
        do {
            storage = try ArrayStorage.mappingReadOnly(path: path)
        } catch let error as SharedMemoryError {
            throw ArrayIOError(.ioFailure, path: path, "cannot map the file: \(error)")
        }
        // Check the header again on the descriptor that was mapped: the file at `path` may have been replaced
        // in between, and only this one's size bounds the mapping.
        let mappedHeader = try NpyFile.read(fd: storage.memory.fileDescriptor, path: path)
        guard canMapFile(mappedHeader), let end = CheckedSize.sum(mappedHeader.dataOffset, mappedHeader.dataByteCount),
              end <= storage.memory.byteCount else {
            throw ArrayIOError(.truncated, path: path, "the file changed while it was being mapped; try again")
        }
        _ = try limit.admit(shape: mappedHeader.shape, dtype: Element.dtype, path: path)
        return SharedArray(
            storage: storage, shape: arrayShape(forFileShape: mappedHeader.shape),
            offset: mappedHeader.dataOffset / MemoryLayout<Element>.stride, stride: 1, pool: pool)
    }

    /// Whether a file with `header` holds `Element`s exactly as this process stores them.
    public static func canMapFile(_ header: NpyHeader) -> Bool {
        let hostBigEndian = 1.bigEndian == 1
        return header.dtype == Element.dtype && (header.isBigEndian == hostBigEndian || header.dtype.byteSize == 1)
            && header.count > 0 && header.dataOffset % MemoryLayout<Element>.stride == 0
    }
}
