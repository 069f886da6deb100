import CHDF5
import Multiprocessing
import SharedArrays

/// One dataset written into an HDF5 file, keeping everything else the file holds: the single way
/// `SharedArray.save(hdf5:)`, `HDF5Transform.map`, `mproc gen` and `mproc map` write a dataset.
///
/// - A missing file is created; an existing HDF5 file keeps every other dataset, group and attribute.
/// - A dataset of the same name is refused unless `overwrite` is true; then only that dataset is replaced
///   (a group, or a dataset in place of a group on the way, is always refused).
/// - A file that is not HDF5, a symbolic link or another non-regular file is refused and left untouched.
///
/// Crash safety: the original is never opened for writing. Its bytes are copied into a private
/// ``AtomicOutputFile`` beside it (created `O_CREAT|O_EXCL|O_NOFOLLOW` under a random name), HDF5 opens that
/// copy read-write, the dataset is written, and the copy is fsynced and renamed over the original, keeping
/// the original's permission bits. A kill at any moment leaves the original as it was (a `kill -9` can
/// leave the private `.NAME.<16 hex digits>.tmp` behind; no writer ever reuses that name, so it is safe
/// to delete).
///
/// Why a byte copy rather than copying each object into a fresh file (`H5Ocopy`): with the byte copy every other
/// object stays where it was, byte for byte, so everything about it is kept — root attributes, hard links shared
/// by several names, object references (file addresses), committed types, external and soft links, the user block
/// and the file's format version — which per-object copies do not all keep. Its costs: the whole file is copied
/// (in the kernel, see ``AtomicOutputFile/copyContents(of:)``), and when a dataset is replaced, HDF5 reuses the
/// old data's space for the new one in the same session but the part left over stays unused in the file (HDF5 does
/// not keep free space across sessions); `h5repack` reclaims it.
///
/// ```swift
/// let output = try HDF5DatasetOutput(file: "run.h5", dataset: "/mean", overwrite: false)
/// try output.write { writer in try writer.createDataset("/mean", dtype: .float64, shape: [10]) }
/// ```
public struct HDF5DatasetOutput: Sendable {
    /// The output file, as given.
    public let file: String
    /// The dataset's absolute path (`/a/b`).
    public let dataset: String
    /// Whether an existing dataset of that name may be replaced.
    public let overwrite: Bool

    /// Checks the output before any expensive work: a non-regular file, a file that is not HDF5, an
    /// existing dataset (unless `overwrite`), a group in the way, or a directory where no file can be
    /// created is an ``ArrayIOError``. ``write(_:)`` checks again against what it actually copies.
    public init(file: String, dataset: String, overwrite: Bool) throws {
        let name = HDF5.normalized(dataset)
        guard name != "/" else {
            throw ArrayIOError(.invalidArgument, path: file, dataset: name, "the output needs a dataset name")
        }
        self.file = file
        self.dataset = name
        self.overwrite = overwrite
        try Self.convertingOutputErrors { try AtomicOutputFile.checkDestination(file) }
        if (try? FileSystem.status(of: file, followingSymlink: false)) != nil {
            try checkExisting(openingAs: file)
        }
        try Self.convertingOutputErrors { try AtomicOutputFile.checkWritable(file) }
    }

    /// Writes the dataset: `body` gets a writer on the private copy (or on a new file) in which the
    /// dataset's name is free (the old dataset removed when overwriting) and must create and fill it. The
    /// writer is closed and the file committed after `body` returns; on any error nothing at ``file``
    /// changes. Errors name ``file``, never the private copy.
    public func write(_ body: (HDF5Writer) throws -> Void) throws {
        do {
            try writeCopy(body)
        } catch let error as ArrayIOError {
            // Name the output, not its private copy, and say plainly when the disk is full.
            throw ArrayIOError(error.kind, path: file, dataset: error.dataset ?? dataset,
                               HDF5Transform.plainWriteFailure(error.reason))
        }
    }

    private func writeCopy(_ body: (HDF5Writer) throws -> Void) throws {
        try Self.convertingOutputErrors {
            try AtomicOutputFile.write(to: file) { output in
                let writer: HDF5Writer
                if (try? FileSystem.status(of: file, followingSymlink: false)) != nil {
                    // Opened read-only, without following a symbolic link: the original is never written.
                    try output.copyContents(of: file)
                    let replacing = try checkExisting(openingAs: output.pathForLibraries)
                    writer = try HDF5Writer(appendingIn: output)
                    if replacing { try writer.remove(dataset) }
                } else {
                    writer = try HDF5Writer(creatingIn: output)
                }
                try body(writer)
                try writer.close()
            }
        }
    }

    /// Checks the HDF5 file at `path` (the output or its private copy; errors name ``file``) and returns
    /// whether ``dataset`` exists there and may be replaced.
    /// The HDF5 calls run in a forked child: HDF5 itself can crash on a damaged file, and that must be an
    /// error naming the file, not the end of the process (see `HDF5.isolated`).
    @discardableResult
    private func checkExisting(openingAs path: String) throws -> Bool {
        let output = self
        return try HDF5.isolated(file: file) { try output.checkExistingInProcess(openingAs: path) }
    }

    private func checkExistingInProcess(openingAs path: String) throws -> Bool {
        HDF5.prepare()
        guard H5Fis_hdf5(path) > 0 else {
            throw ArrayIOError(.invalidArgument, path: file,
                               "exists and is not an HDF5 file; refusing to replace it (remove it or choose another name)")
        }
        let fileID: hid_t
        do {
            fileID = try HDF5.openFile(path)
        } catch let error as ArrayIOError {
            throw ArrayIOError(error.kind, path: file, error.reason)
        }
        defer { H5Fclose(fileID) }
        let parts = HDF5.components(dataset)
        var prefix = ""
        for (i, part) in parts.enumerated() {
            prefix += "/" + part
            guard H5Lexists(fileID, prefix, mp_h5p_default()) > 0 else { return false }
            let type = mp_h5_object_type(fileID, prefix)
            let isLast = i == parts.count - 1
            if type == Int32(H5O_TYPE_GROUP.rawValue) {
                if isLast {
                    throw ArrayIOError(.invalidArgument, path: file, dataset: dataset,
                                       "is a group, not a dataset; refusing to replace it")
                }
            } else if !isLast || type != Int32(H5O_TYPE_DATASET.rawValue) {
                let what = type == Int32(H5O_TYPE_DATASET.rawValue) ? "a dataset" : type < 0 ? "a dangling link" : "not a group"
                throw ArrayIOError(.invalidArgument, path: file, dataset: dataset,
                                   "cannot be written: '\(prefix)' is \(what)")
            }
        }
        if !overwrite {
            throw ArrayIOError(.invalidArgument, path: file, dataset: dataset, "exists (overwrite: true replaces it)")
        }
        return true
    }

    private static func convertingOutputErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as OutputFileError {
            throw ArrayIOError(error)
        }
    }
}
