#if os(Linux)
import Foundation
import Glibc
import XCTest
import HDF5Arrays
import SharedArrays

/// The readers are used in forked workers: the parent has initialised HDF5, each child opens the file itself
/// and reads its own range straight into a shared mapping.
final class HDF5ForkTests: XCTestCase {
    func testForkedChildrenReadTheirOwnRangesIntoSharedMemory() throws {
        let directory = try H5TestSupport.makeDirectory()
        defer { H5TestSupport.removeDirectory(directory) }
        let h5 = directory + "/f.h5", npy = directory + "/f.npy"
        let count = 100_000
        let values = (0..<count).map { Double($0) * 1.5 }
        // Written by our own writers (the round trips against h5py/numpy are tested elsewhere).
        let writer = try HDF5Writer(path: h5)
        try writer.createDataset("/v", dtype: .float32, shape: [count / 10, 10], chunkRows: 1000, gzipLevel: 1,
                                 shuffle: true)
        try values.withUnsafeBytes {
            try writer.writeElements(dataset: "/v", range: 0..<count, from: $0.baseAddress!, dtype: .float64)
        }
        try writer.close()
        let npyWriter = try NpyWriter.create(path: npy, dtype: .float64, shape: [count])
        try values.withUnsafeBytes { try npyWriter.writeElements(range: 0..<count, from: $0.baseAddress!) }
        let header = try NpyHeader.read(path: npy)
        _ = HDF5.libraryVersion  // the parent has initialised the library before forking

        let bytes = 2 * count * 8
        guard let mapping = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
              mapping != MAP_FAILED else {
            return XCTFail("mmap failed")
        }
        defer { munmap(mapping, bytes) }
        let pieces = 3
        var children: [pid_t] = []
        fflush(nil)
        for piece in 0..<pieces {
            let lo = count * piece / pieces, hi = count * (piece + 1) / pieces  // not row-aligned
            let pid = fork()
            if pid == 0 {
                var ok = true
                do {
                    try HDF5.readElements(file: h5, dataset: "/v", range: lo..<hi, into: mapping + lo * 8, as: .float64)
                    try NpyFile.readElements(path: npy, header: header, range: lo..<hi,
                                             into: mapping + (count + lo) * 8, as: .float64)
                } catch {
                    ok = false
                }
                _exit(ok ? 0 : 1)
            }
            XCTAssertGreaterThan(pid, 0)
            children.append(pid)
        }
        for pid in children {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            XCTAssertEqual(status & 0x7f, 0, "child \(pid) was killed by signal \(status & 0x7f)")
            XCTAssertEqual((status >> 8) & 0xff, 0, "child \(pid) failed")
        }
        let fromH5 = Array(UnsafeBufferPointer(start: mapping.assumingMemoryBound(to: Double.self), count: count))
        let fromNpy = Array(UnsafeBufferPointer(start: mapping.assumingMemoryBound(to: Double.self) + count, count: count))
        XCTAssertEqual(fromH5, values.map { Double(Float($0)) })
        XCTAssertEqual(fromNpy, values)
    }
}
#endif
