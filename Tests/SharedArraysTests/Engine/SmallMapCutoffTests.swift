#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest
@testable import SharedArrays

final class SmallMapCutoffTests: XCTestCase {
    override func tearDown() {
        SmallMapCutoff.bytes = SmallMapCutoff.defaultBytes
        super.tearDown()
    }

    /// Every kind of map as bit patterns: unary rows (cheap and transcendental), binary rows, axpy in place,
    /// fills, arange, both random generators, a map of a strided view, casts, comparisons and `where`.
    private func fingerprint<E: SharedElement>(_ x: SharedArray<E>, _ y: SharedArray<E>, pool: WorkerPool) throws -> [UInt64] {
        var bits: [UInt64] = []
        func add(_ a: SharedArray<E>) throws { bits += a.toArray().map { $0.asDouble.bitPattern } }
        let isFloat = E.self == Double.self || E.self == Float.self
        let unary: [UnaryOp] = [.abs, .sqrt, .exp, .log, .tanh, .sin, .scale(-3), .clip(lower: -5, upper: 7), .floor, .sign]
        for op in unary + (isFloat ? [.power(2.5)] : []) { try add(try x.map(op)) }
        let binary: [BinaryOp] = [.add, .div, .minimum]
        for op in binary + (isFloat ? [.power] : []) { try add(try x.combined(with: y, op)) }
        let z = try SharedArray<E>(y.toArray(), on: pool)
        try z.addProduct(0.5, x)
        try add(z)
        try add(try .filled(E(fromDouble: 2.5), shape: [x.count], on: pool))
        try add(try .arange(x.count, start: -3, step: 0.25, on: pool))
        for generator: RandomGenerator in [.splitMix64, .philox] {
            for d: RandomDistribution in [.uniform(lower: -1, upper: 2), .normal(mean: 1, std: 3)] {
                try add(try .random(d, shape: [x.count], seed: 9, generator: generator, on: pool))
            }
        }
        if x.count > 3 { try add(try x.strided(from: 1, by: 3).map(.exp)) }
        // Casts, comparisons and selections are element-wise too.
        bits += try x.astype(Int32.self, unchecked: true).toArray().map { UInt64(UInt32(bitPattern: $0)) }
        bits += try x.astype(Float.self).toArray().map { UInt64($0.bitPattern) }
        let mask = try x.greater(than: y)
        bits += mask.toArray().map { $0 ? 1 : 0 }
        try add(try .where(mask, x, y))
        try add(try .where(try x.greater(than: E(fromDouble: 0)), x, E(fromDouble: -1)))
        return bits
    }

    /// The caller runs small maps on the same chunks with the same kernels: the bits are the same below and
    /// above the cutoff and for 1, 2 and 3 workers, for Double, Float and Int64, with NaN, ±0 and ±inf, at
    /// sizes of one element, one chunk and several chunks.
    func testSmallMapsGiveTheSameBitsInTheCallerAndInTheWorkers() throws {
        for n in [1, 1000, 4097, (1 << 15) + 3, 70_003] {
            var values = testValues(n, seed: UInt64(n))
            let other = testValues(n, seed: UInt64(n) + 5)
            if n > 10 { (values[1], values[3], values[5], values[7]) = (-0.0, .nan, .infinity, -.infinity) }
            var reference: [String: [UInt64]] = [:]
            for workers in [1, 2, 3] {
                let pool = try TestPools.pool(workers)
                for cutoff in [0, Int.max] {
                    SmallMapCutoff.bytes = cutoff
                    let runs: [(String, [UInt64])] = [
                        ("Double", try fingerprint(try SharedArray(values, on: pool), try SharedArray(other, on: pool), pool: pool)),
                        ("Float", try fingerprint(try SharedArray(values.map { Float($0) }, on: pool),
                                                  try SharedArray(other.map { Float($0) }, on: pool), pool: pool)),
                        ("Int64", try fingerprint(try SharedArray(values.map { $0.isFinite ? Int64($0) : 7 }, on: pool),
                                                  try SharedArray(other.map { $0.isFinite ? Int64($0) : 7 }, on: pool), pool: pool)),
                    ]
                    for (type, bits) in runs {
                        if let expected = reference[type] {
                            XCTAssertEqual(bits, expected, "\(type), n \(n), \(workers) workers, cutoff \(cutoff)")
                        } else {
                            reference[type] = bits
                        }
                    }
                }
            }
        }
    }

    /// Below the cutoff the workers are not woken: maps finish while every worker is stopped (SIGSTOP). A
    /// transcendental row weighs more (``MapOperation/callerWeight``), so the same array goes to the workers
    /// for `exp` (and waits for them until the deadline), and with the cutoff at 0 every map does.
    func testSmallMapRunsInTheCallerWhileTheWorkersAreStoppedAndCostlyRowsWeighMore() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let values = testValues(50_000, seed: 4)  // 400 KB
        let x = try SharedArray(values, on: pool)
        _ = try x.map(.scale(2))
        SmallMapCutoff.bytes = 1 << 20
        let pids = pool.workerPIDs
        for pid in pids { kill(pid, SIGSTOP) }
        defer { for pid in pids { kill(pid, SIGCONT) } }
        let y = try x.map(.scale(2), timeout: .seconds(20))
        XCTAssertEqual(y.toArray(), values.map { $0 * 2 })
        try WorkerPool.withTimeout(.seconds(20)) { try y.formCombined(with: x, .sub) }
        XCTAssertEqual(y.toArray(), values)
        XCTAssertEqual(try WorkerPool.withTimeout(.seconds(20)) { try x.greater(than: 0) }.toArray(), values.map { $0 > 0 })
        XCTAssertEqual(try x.astype(Float.self, timeout: .seconds(20)).toArray(), values.map { Float($0) })
        XCTAssertThrowsError(try x.map(.exp, timeout: .milliseconds(300)), "exp weighs 16: 6.4 MB > 1 MiB") { error in
            XCTAssertEqual((error as? WorkerPoolError)?.code, .timedOut, "\(error)")
        }
        // The timeout replaced the stuck workers: stop the new ones too.
        let fresh = pool.workerPIDs
        XCTAssertNotEqual(fresh, pids)
        for pid in fresh { kill(pid, SIGSTOP) }
        defer { for pid in fresh { kill(pid, SIGCONT) } }
        XCTAssertEqual(try x.map(.negate, timeout: .seconds(20)).toArray(), values.map { -$0 })
        SmallMapCutoff.bytes = 0
        XCTAssertThrowsError(try x.map(.scale(2), timeout: .milliseconds(300))) { error in
            XCTAssertEqual((error as? WorkerPoolError)?.code, .timedOut, "\(error)")
        }
    }

    /// A weighted size past `Int.max` is never "small".
    func testWeightedSizeThatOverflowsGoesToTheWorkers() {
        SmallMapCutoff.bytes = Int.max
        let exp = MapOperation.unary(.exp).callerWeight, abs = MapOperation.unary(.abs).callerWeight
        XCTAssertTrue(SmallMapCutoff.runsInCaller(elements: Int.max / 128, elementSize: 8, weight: exp))
        XCTAssertFalse(SmallMapCutoff.runsInCaller(elements: Int.max / 64, elementSize: 8, weight: exp))
        XCTAssertTrue(SmallMapCutoff.runsInCaller(elements: Int.max / 8, elementSize: 8, weight: abs))
    }
}
