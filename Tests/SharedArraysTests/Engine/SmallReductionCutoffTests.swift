#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import SharedArrays
import XCTest

final class SmallReductionCutoffTests: XCTestCase {
    override func tearDown() {
        SmallReductionCutoff.bytes = SmallReductionCutoff.defaultBytes
        super.tearDown()
    }

    /// Values with what breaks naive kernels: ±0, ±inf, huge and tiny magnitudes, a repeated minimum.
    private func hostile(_ n: Int, seed: UInt64) -> [Double] {
        var v = testValues(n, seed: seed)
        if n > 10 {
            v[1] = -0.0
            v[3] = 1e300
            v[5] = -1e-300
            v[n / 2] = -1e6
            v[n - 1] = -1e6  // the same minimum later: argmin must keep the first
        }
        return v
    }

    /// The statistics, the dot product and a histogram as bit patterns, for comparing runs exactly.
    private func fingerprint<E: SharedElement & BinaryFloatingPoint>(_ x: SharedArray<E>, _ y: SharedArray<E>) throws -> [UInt64] {
        let s = try x.statistics([.sum, .mean, .var, .min, .max, .argmin, .argmax, .norm, .nansum, .nanmin])
        var bits = s.values.map { ($0.1 ?? -1).bitPattern }
        bits.append(try x.dot(y).bitPattern)
        bits += try x.histogram(bins: 7, range: -60...60).counts.map { UInt64($0) }
        bits.append(try x.strided(from: 0, by: 3).statistics([.sum])[.sum]!.bitPattern)
        return bits
    }

    /// The caller computes small reductions alone on the same chunk grid with the same combine: the bits
    /// are the same below and above the cutoff, and for 1, 2 and 3 workers, for Double and Float, with and
    /// without NaN, at sizes of one chunk, two chunks and many.
    func testSmallReductionsGiveTheSameBitsInTheCallerAndInTheWorkers() throws {
        for n in [1, 1000, 4097, 1 << 15, (1 << 16) + 5, 200_003] {
            for withNaN in [false, true] {
                var values = hostile(n, seed: UInt64(n))
                if withNaN && n > 100 { values[n / 3] = .nan }
                let other = hostile(n, seed: UInt64(n) + 7)
                var reference: [UInt64]?
                var referenceFloat: [UInt64]?
                for workers in [1, 2, 3] {
                    let pool = try TestPools.pool(workers)
                    let (x, y) = (try SharedArray(values, on: pool), try SharedArray(other, on: pool))
                    let (xf, yf) = (try SharedArray(values.map { Float($0) }, on: pool), try SharedArray(other.map { Float($0) }, on: pool))
                    for cutoff in [0, Int.max] {
                        SmallReductionCutoff.bytes = cutoff
                        let bits = try fingerprint(x, y)
                        let floatBits = try fingerprint(xf, yf)
                        if let reference, let referenceFloat {
                            XCTAssertEqual(bits, reference, "n \(n), NaN \(withNaN), \(workers) workers, cutoff \(cutoff)")
                            XCTAssertEqual(floatBits, referenceFloat, "Float, n \(n), NaN \(withNaN), \(workers) workers, cutoff \(cutoff)")
                        } else {
                            (reference, referenceFloat) = (bits, floatBits)
                        }
                    }
                }
            }
        }
    }

    /// An array of one chunk is folded by the caller directly (no job, no result array): every statistic
    /// asked alone or with others, and the dot product, give the plumbing's bits for every element type,
    /// with NaN and ties, and argmin and argmax asked apart (the blocked kernel then rescans for one only)
    /// equal the pair asked together and the first occurrence.
    func testOneChunkArraysFoldedInTheCallerGiveThePlumbingsBitsForEveryType() throws {
        let pool = try TestPools.pool(2)
        func check<E: SharedElement>(_ values: [E], _ other: [E], _ label: String) throws {
            let (x, y) = (try SharedArray(values, on: pool), try SharedArray(other, on: pool))
            var runs: [[UInt64]] = []
            for cutoff in [Int.max, 0] {
                SmallReductionCutoff.bytes = cutoff
                var bits: [UInt64] = []
                for s in Statistic.allCases {
                    bits.append((try x.statistics([s])[s] ?? -1).bitPattern)
                }
                let both = try x.statistics([.argmin, .argmax, .nanargmin, .nanargmax])
                bits += both.values.map { ($0.1 ?? -1).bitPattern }
                bits.append(try x.dot(y).bitPattern)
                runs.append(bits)
            }
            XCTAssertEqual(runs[0], runs[1], "\(label): one chunk in the caller vs the workers")
            let alone = (try x.argmin(), try x.argmax())
            let together = try x.statistics([.argmax, .argmin])
            XCTAssertEqual(alone.0.map(Double.init), together[.argmin], label)
            XCTAssertEqual(alone.1.map(Double.init), together[.argmax], label)
        }
        for n in [1, 7, 16, 1000, 4097, 9000, 1 << 15] {
            var values = hostile(n, seed: UInt64(n) + 11)
            let other = hostile(n, seed: UInt64(n) + 12)
            if n > 16 { values[n / 5] = values[n / 2] }  // a tie for the minimum before its first place
            try check(values, other, "Double n \(n)")
            try check(values.map { Float($0) }, other.map { Float($0) }, "Float n \(n)")
            func integer(_ v: Double) -> Int64 { v.isFinite ? Int64(Swift.min(Swift.max(v, -1e12), 1e12)) : 0 }
            let ints = values.map(integer)
            try check(ints, other.map(integer), "Int64 n \(n)")
            try check(ints.map { Int32(truncatingIfNeeded: $0) }, ints.reversed().map { Int32(truncatingIfNeeded: $0) }, "Int32 n \(n)")
            if n > 16 {
                var withNaN = values
                withNaN[n / 3] = .nan
                withNaN[n - 2] = .nan
                try check(withNaN, other, "Double with NaN n \(n)")
                try check(withNaN.map { Float($0) }, other.map { Float($0) }, "Float with NaN n \(n)")
            }
        }
        // argmin alone finds the first of tied minima, as numpy does.
        SmallReductionCutoff.bytes = Int.max
        let tied = try SharedArray([3.0, -1, 5, -1, 9, 9, 0], on: pool)
        XCTAssertEqual(try tied.argmin(), 1)
        XCTAssertEqual(try tied.argmax(), 4)
    }

    /// Below the cutoff the workers are not woken at all: a reduction finishes while every worker is
    /// stopped (SIGSTOP). Above it, the same call would wait for them until its deadline.
    func testSmallReductionRunsInTheCallerWhileTheWorkersAreStopped() throws {
        let pool = try WorkerPool(workers: 2)
        defer { pool.shutdown() }
        let values = testValues(50_000, seed: 3)
        let x = try SharedArray(values, on: pool)
        _ = try x.sum()
        SmallReductionCutoff.bytes = Int.max
        let pids = pool.workerPIDs
        for pid in pids { kill(pid, SIGSTOP) }
        defer { for pid in pids { kill(pid, SIGCONT) } }
        let s = try x.statistics([.sum, .argmin], timeout: .seconds(20))
        XCTAssertClose(s[.sum], Reference.kahan(values), relative: 1e-11)
        XCTAssertEqual(s[.argmin], Double(values.firstIndex(of: values.min()!)!))
        XCTAssertClose(try WorkerPool.withTimeout(.seconds(20)) { try x.dot(x) }, Reference.kahan(values.map { $0 * $0 }), relative: 1e-11)
        SmallReductionCutoff.bytes = 0
        XCTAssertThrowsError(try x.statistics([.sum], timeout: .milliseconds(300))) { error in
            guard (error as? WorkerPoolError)?.code == .timedOut else { return XCTFail("expected a timeout, got \(error)") }
        }
    }

    /// A shut-down pool refuses small reductions too, as it refuses large ones.
    func testSmallReductionOnAShutDownPoolThrows() throws {
        let pool = try WorkerPool(workers: 1)
        let x = try SharedArray(testValues(100), on: pool)
        pool.shutdown()
        XCTAssertThrowsError(try x.sum()) { error in
            XCTAssertEqual(error as? WorkerPoolError, .shutDown)
        }
    }
}
