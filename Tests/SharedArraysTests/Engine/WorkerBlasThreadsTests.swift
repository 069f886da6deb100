#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import SharedArrays
import XCTest

/// OpenBLAS's thread count in this process, through its C API found by symbol.
private func blasThreads() -> Int32 {
    typealias Get = @convention(c) () -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "openblas_get_num_threads") else { return -1 }
    return unsafeBitCast(symbol, to: Get.self)()
}

private func setBlasThreads(_ count: Int32) {
    typealias Set = @convention(c) (Int32) -> Void
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "openblas_set_num_threads") else { return }
    unsafeBitCast(symbol, to: Set.self)(count)
}

struct BlasThreadsInWorker: ParallelTask {
    static func run(_: Int) throws -> Int32 { blasThreads() }
}

final class WorkerBlasThreadsTests: XCTestCase {
    /// N workers each running N BLAS threads would oversubscribe the cores: a user task in a fresh
    /// worker sees one BLAS thread, whatever the parent uses, unless its initializer says otherwise.
    func testUserTasksRunSingleThreadedBlasUnlessTheInitializerChooses() throws {
        XCTAssertGreaterThan(blasThreads(), 0, "OpenBLAS is linked into the test process")
        let before = blasThreads()
        setBlasThreads(3)
        defer { setBlasThreads(before) }
        XCTAssertEqual(blasThreads(), 3)
        let seen = try WorkerPool.with(workers: 2) { try $0.map(BlasThreadsInWorker.self, over: 0..<8, chunkSize: 1) }
        XCTAssertEqual(Set(seen), [1])
        let chosen = try WorkerPool.with(workers: 2, initializer: { setBlasThreads(2) }) {
            try $0.map(BlasThreadsInWorker.self, over: 0..<8, chunkSize: 1)
        }
        XCTAssertEqual(Set(chosen), [2])
    }
}

final class ParentBlasThreadsTests: XCTestCase {
    /// A pthread OpenBLAS that starts a thread per core in the parent makes every later fork wait in its
    /// atfork handler for those threads (and hang for good when one of them cannot map its buffer): the
    /// package loads it with one thread, whatever OPENBLAS_NUM_THREADS says.
    func testParentLoadsBlasWithOneThread() throws {
        XCTAssertEqual(blasThreads(), 1)
    }
}
