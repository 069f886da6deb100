import Multiprocessing
import SharedArrays

extension HDF5 {
    /// Opens `file` (and `dataset`, or lists the datasets when nil) once in a forked child before the caller's
    /// process touches it, so that damaged metadata on which HDF5 itself crashes is an error, not a crash.
    ///
    /// HDF5 1.10.8 segfaults on some damaged group metadata (a local heap whose size reaches past the file's
    /// end makes H5F__accum_read copy from a null buffer during a lookup or a listing); HDF5 2.0 refuses such
    /// files ("attempting I/O in temporary file space"). Nothing before that read can be checked through the
    /// library's API. Workers (the batch) need no probe: a worker's crash is already a failed record. Errors in
    /// the child are ignored here: the caller meets them again and reports them as usual.
    ///
    /// ```swift
    /// try HDF5.probeInChild(file: "run42.h5", dataset: "/temperature")
    /// ```
    public static func probeInChild(file: String, dataset: String?, timeout: Duration = .seconds(120)) throws {
        let child = Process(name: "mproc-h5probe", daemon: true) {
            if let dataset {
                if let reader = try? HDF5DatasetReader(file: file, dataset: dataset) { reader.close() }
            } else {
                _ = try? HDF5.listDatasets(file: file)
            }
        }
        try child.start()
        guard try child.join(timeout: timeout) else {
            child.kill()
            _ = try? child.join(timeout: .seconds(5))
            throw ArrayIOError(.invalidFormat, path: file, dataset: dataset,
                               "HDF5 did not finish reading the file's metadata within \(timeout): damaged file")
        }
        if case .signaled? = child.exitStatus {
            throw ArrayIOError(.invalidFormat, path: file, dataset: dataset,
                               "damaged file: the HDF5 library crashed reading its metadata")
        }
    }
}
