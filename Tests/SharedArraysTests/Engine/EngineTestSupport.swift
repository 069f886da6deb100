#if canImport(Glibc)
import Glibc
#endif
import SharedArrays
import XCTest

/// One pool per worker count, shared by the engine tests (pools are cheap but not free).
enum TestPools {
    nonisolated(unsafe) private static var pools: [Int: WorkerPool] = [:]
    private static let lock = NSLockLike()

    static func pool(_ workers: Int) throws -> WorkerPool {
        try lock.withLock {
            if let pool = pools[workers] { return pool }
            let pool = try WorkerPool(workers: workers)
            pools[workers] = pool
            return pool
        }
    }
}

/// A tiny pthread mutex for test-only statics.
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}

/// Straightforward references, in Double, the way numpy defines each statistic.
enum Reference {
    static func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : kahan(x) / Double(x.count) }
    static func variance(_ x: [Double], ddof: Int = 0) -> Double {
        guard x.count - ddof > 0 else { return .nan }
        let m = mean(x)
        return kahan(x.map { ($0 - m) * ($0 - m) }) / Double(x.count - ddof)
    }
    static func kahan(_ x: [Double]) -> Double {
        var sum = 0.0
        var c = 0.0
        for v in x {
            let y = v - c
            let t = sum + y
            c = (t - sum) - y
            sum = t
        }
        return sum
    }
}

/// Deterministic pseudo-random doubles for tests.
func testValues(_ n: Int, seed: UInt64 = 1, scale: Double = 100) -> [Double] {
    var state = seed
    return (0..<n).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return (Double(state >> 11) / Double(1 << 53) - 0.5) * scale + 3
    }
}

func XCTAssertClose(_ a: Double?, _ b: Double, relative: Double = 1e-12, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard let a else { return XCTFail("nil, expected \(b) \(message)", file: file, line: line) }
    if a.isNaN && b.isNaN { return }
    let tolerance = relative * max(1, abs(b))
    XCTAssertTrue(abs(a - b) <= tolerance, "\(a) vs \(b) \(message)", file: file, line: line)
}
