import Multiprocessing
import SharedArrays

/// HDF5 metadata reads of untrusted files run in a forked child (``CrashIsolation``).
///
/// HDF5 1.10 itself segfaults on some damaged files while reading their metadata (object headers, group
/// heaps). Workers are separate processes already; these are the reads the calling process makes before any
/// worker (listing datasets, describing one, checking its storage before a load). In a child, such a crash is
/// one error, `FILE: damaged file: HDF5 crashed (signal 11, SIGSEGV) while reading its metadata`, not the end of
/// the calling process. The cost is one fork per call.
extension HDF5 {
    /// How long one isolated metadata read may take before its child is killed (a hostile file must not hang).
    static let metadataTimeout: Duration = .seconds(120)

    /// Below this much free address space, a crash of HDF5 is reported as memory running out.
    static let memoryHintBytes = 128 << 20

    /// An ``ArrayIOError`` or a value, as the isolated child sends it (the error keeps its kind and dataset).
    private struct Outcome<Value: Codable>: Codable {
        var value: Value?
        var kind: String?
        var dataset: String?
        var reason: String?
    }

    /// Runs `body` (HDF5 calls on `file`) in a forked child; errors come back as the ``ArrayIOError`` thrown
    /// there, and a crash or a hang of the child as an ``ArrayIOError`` naming `file`.
    static func isolated<Value: Codable>(file: String, _ body: @escaping () throws -> Value) throws -> Value {
        let outcome: Outcome<Value>
        do {
            outcome = try CrashIsolation.run(name: "mproc-hdf5-meta", timeout: metadataTimeout) {
                do {
                    return Outcome<Value>(value: try body())
                } catch let error as ArrayIOError {
                    return Outcome<Value>(kind: error.kind.rawValue, dataset: error.dataset, reason: error.reason)
                }
            }
        } catch {
            switch error {
            case .crashed(_, let signal):
                // HDF5 does not check every allocation: under a tight address-space limit it crashes the same way.
                if !SystemMemory.canReserveAddressSpace(bytes: memoryHintBytes) {
                    throw ArrayIOError(.ioFailure, path: file,
                                       "out of memory: HDF5 crashed (signal \(signal), \(signalName(signal))) while reading its metadata with less than \(memoryHintBytes >> 20) MiB of address space free (see ulimit -v); if memory is not short, the file is damaged")
                }
                throw ArrayIOError(.invalidFormat, path: file,
                                   "damaged file: HDF5 crashed (signal \(signal), \(signalName(signal))) while reading its metadata")
            case .timedOut(_, let timeout):
                throw ArrayIOError(.ioFailure, path: file,
                                   "reading the HDF5 metadata did not finish within \(timeout) (damaged file?)")
            case .failed(let message):
                throw ArrayIOError(.ioFailure, path: file, message)
            case .noResult, .spawnFailed:
                throw ArrayIOError(.ioFailure, path: file, "cannot read the HDF5 metadata: \(error)")
            }
        }
        if let reason = outcome.reason {
            throw ArrayIOError(ArrayIOError.Kind(rawValue: outcome.kind ?? "") ?? .ioFailure, path: file,
                               dataset: outcome.dataset, reason)
        }
        guard let value = outcome.value else {
            throw ArrayIOError(.ioFailure, path: file, "cannot read the HDF5 metadata: no result")
        }
        return value
    }

    /// Describes the dataset `dataset` (e.g. `/readings/temperature`) of the HDF5 file at `file`; the HDF5
    /// calls run in a forked child (a crash of the library on a damaged file is an error, see above).
    public static func datasetInfo(file: String, dataset: String) throws -> HDF5DatasetInfo {
        try isolated(file: file) { try datasetInfoInProcess(file: file, dataset: dataset) }
    }

    /// Describes every dataset in the file, found recursively from the root, sorted by path; the HDF5 calls
    /// run in a forked child (a crash of the library on a damaged file is an error, see above).
    public static func listDatasets(file: String) throws -> [HDF5DatasetInfo] {
        try isolated(file: file) { try listDatasetsInProcess(file: file) }
    }

    /// Opens a reader on `dataset` in a forked child, which checks compact and contiguous storage against the
    /// declared size, and returns the dataset's description: the parent's check before a load.
    /// With `field`, the description of that compound member's values.
    static func checkedDatasetInfo(file: String, dataset: String, field: String? = nil) throws -> HDF5DatasetInfo {
        try isolated(file: file) {
            let reader = try HDF5DatasetReader(file: file, dataset: dataset, field: field)
            defer { reader.close() }
            return reader.info
        }
    }
}
