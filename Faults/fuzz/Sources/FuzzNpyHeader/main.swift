// The .npy header parser and size checks: any bytes as a .npy file must give a header or an error, never a
// trap. Seeds: the sample .npy files' first bytes (Faults/fuzz/corpus/npy).
import FuzzDriver
import SharedArrays
#if canImport(Glibc)
import Glibc
#endif

let path = "/tmp/mproc-fuzz-npy-\(getpid()).npy"
atexit { unlink("/tmp/mproc-fuzz-npy-\(getpid()).npy") }
runFuzzer { bytes in
    writeFile(path, bytes)
    guard let header = try? NpyHeader.read(path: path) else { return }
    // A header that passed must describe data that is there: read up to 64 elements of it.
    let n = min(header.count, 64)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(1, n * 8), alignment: 8)
    defer { scratch.deallocate() }
    try? NpyFile.readElements(path: path, header: header, range: 0..<n, into: scratch, as: .float64)
}
