#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Multiprocessing
import XCTest

/// A task that never returns for input 3 (a worker stuck in user code); the others return their input.
struct HangsOnThree: ParallelTask {
    static func run(_ x: Int) throws -> Int {
        if x == 3 { while true { sleep(1000) } }
        return x
    }
}

/// Dereferences a bad pointer in one chunk (a real SIGSEGV, as a damaged file can cause in a library).
struct BadPointerJob: WorkerJob {
    var crashingChunk: Int
    static func run(_ job: BadPointerJob, chunk: Int, context: WorkerContext) throws {
        guard chunk == job.crashingChunk else { return }
        let bad = UnsafeMutablePointer<Int>(bitPattern: 8)!
        bad.pointee = 42
    }
}

/// Traps in one chunk the way Swift code does: `fatalError` (or an overflow, or a failed precondition).
struct TrappingJob: WorkerJob {
    var trappingChunk: Int
    var overflow: Bool
    static func run(_ job: TrappingJob, chunk: Int, context: WorkerContext) throws {
        guard chunk == job.trappingChunk else { return }
        if job.overflow {
            var value = Int.max - Int(job.trappingChunk) + chunk
            value += Int(getpid() > 0 ? 1 : 0)  // overflows at run time
            print(value)
        }
        fatalError("a worker trapped on purpose")
    }
}

/// Whether process `pid` no longer exists (killed and reaped).
func processIsGone(_ pid: Int32) -> Bool {
    kill(pid, 0) == -1 && errno == ESRCH
}

/// Runs `body` with this process's stderr going to a file (and with it, the stderr of every worker
/// forked meanwhile); returns what was written there.
func capturingStandardError(_ body: () throws -> Void) rethrows -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(getpid())-\(UUID().uuidString)").path
    let file = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0o600)
    precondition(file >= 0)
    fflush(nil)
    let saved = dup(2)
    dup2(file, 2)
    defer {
        fflush(nil)
        dup2(saved, 2)
        close(saved)
        close(file)
    }
    try body()
    fflush(nil)
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    unlink(path)
    return text
}

/// Text a crash reporter prints: none of it may reach the user's terminal from a worker.
let backtraceMarkers = ["Backtrac", "Current stack trace", "Program crashed", "Thread 0", "Stack dump", "0x0000"]
