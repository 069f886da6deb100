// The HDF5 metadata checks: listing a file's datasets and describing each (shape, type, layout, chunks,
// filters) must give an answer or an error for any bytes. Seeds: the sample HDF5 files
// (Faults/fuzz/corpus/hdf5). The in-process functions are fuzzed (mproc runs them in a forked child), so
// libFuzzer sees their coverage. The HDF5 C library itself is not instrumented; a crash inside it is replayed by
// Faults/fuzzing.py through the real CLI, and counts as ours only if mproc itself crashes, hangs or prints a trace.
import FuzzDriver
@_spi(InProcess) import HDF5Arrays
#if canImport(Glibc)
import Glibc
#endif

let path = "/tmp/mproc-fuzz-h5-\(getpid()).h5"
atexit { unlink("/tmp/mproc-fuzz-h5-\(getpid()).h5") }
runFuzzer { bytes in
    writeFile(path, bytes)
    guard let list = try? HDF5.listDatasetsInProcess(file: path) else { return }
    for info in list.prefix(8) {
        _ = try? HDF5.datasetInfoInProcess(file: path, dataset: info.path)
    }
}
