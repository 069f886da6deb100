#if canImport(Glibc)
import Glibc
#endif
import Multiprocessing
import XCTest

/// A plain-data value: it crosses between processes as raw bytes.
struct Point: Codable, Sendable, Equatable {
    var x: Double
    var n: Int32
}

struct Mirror: ParallelTask {
    static func run(_ p: Point) throws -> Point { Point(x: -p.x * 2, n: p.n &+ 1) }
}

/// Kills its own worker with SIGKILL (kill -9) on input 37.
struct KillsItselfOn37: ParallelTask {
    static func run(_ x: Int) throws -> Int {
        if x == 37 { kill(getpid(), SIGKILL) }
        return x &* 3
    }
}

/// The same with encoded (String) inputs and outputs.
struct KillsItselfOnText37: ParallelTask {
    static func run(_ x: String) throws -> String {
        if x == "37" { kill(getpid(), SIGKILL) }
        return x + "!"
    }
}

/// Throws on odd inputs; plain-data in and out.
struct EvenOnly: ParallelTask {
    struct Odd: Error, CustomStringConvertible {
        var value: Int
        var description: String { "odd input \(value)" }
    }
    static func run(_ x: Int) throws -> Double {
        guard x % 2 == 0 else { throw Odd(value: x) }
        return Double(x) / 2
    }
}

/// Low byte of its input (no overflow near Int.max).
struct LowByte: ParallelTask {
    static func run(_ x: Int) throws -> UInt8 { UInt8(truncatingIfNeeded: x) }
}

struct Multiply: ParallelTask2 {
    static func run(_ a: Int, _ b: Int) throws -> Int { a &* b }
}

final class PoolMapPlainDataTests: XCTestCase {
    func testPlainDataInputsAndOutputsMatchTheSerialResult() throws {
        let pool = try Pool(workers: 2)
        defer { pool.shutdown() }
        let points = (0..<5_003).map { Point(x: Double($0) * 0.5 - 7, n: Int32($0 % 1000) - 500) }
        XCTAssertEqual(try pool.map(Mirror.self, over: points), points.map { try! Mirror.run($0) })
        XCTAssertEqual(try pool.map(Mirror.self, over: points[100..<107]), points[100..<107].map { try! Mirror.run($0) })
        let pairs = (0..<1_001).map { ($0, $0 - 500) }
        XCTAssertEqual(try pool.starmap(Multiply.self, over: pairs), pairs.map { $0.0 * $0.1 })
    }

    func testRangeInputsAreReadAsRangesWithoutMaterialising() throws {
        let pool = try Pool(workers: 2)
        defer { pool.shutdown() }
        XCTAssertEqual(try pool.map(Square.self, over: -50..<50), (-50..<50).map { $0 * $0 })
        XCTAssertEqual(try pool.map(Square.self, over: 1...10), (1...10).map { $0 * $0 })
        XCTAssertEqual(try pool.map(LowByte.self, over: (Int.max - 300)..<Int.max), ((Int.max - 300)..<Int.max).map { UInt8(truncatingIfNeeded: $0) })
        // 2^50 inputs: refused with an error about memory, not a 2^50-element array built first.
        XCTAssertThrowsError(try pool.map(Square.self, over: 0..<(1 << 50))) { error in
            XCTAssertTrue("\(error)".contains("memory") || "\(error)".contains("size"), "\(error)")
        }
        XCTAssertEqual(try pool.map(Square.self, over: 0..<3), [0, 1, 4], "the pool is usable afterwards")
    }

    func testEmptyInputsAndChunkSizeEdges() throws {
        let pool = try Pool(workers: 2)
        defer { pool.shutdown() }
        XCTAssertEqual(try pool.map(Square.self, over: 5..<5), [])
        XCTAssertEqual(try pool.map(Shout.self, over: [Word]()), [])
        XCTAssertEqual(try pool.mapResults(Mirror.self, over: [Point]()).count, 0)
        let inputs = Array(0..<97)  // a prime count: every chunk size leaves a short last chunk
        for size in [1, 2, 48, 96, 97, 98, 1_000_000] {
            XCTAssertEqual(try pool.map(Square.self, over: inputs, chunkSize: size), inputs.map { $0 * $0 }, "chunk size \(size)")
            let words = inputs.map { Word(text: "w\($0)", repeats: $0 % 3) }
            XCTAssertEqual(
                try pool.map(Shout.self, over: words, chunkSize: size), words.map { try! Shout.run($0) }, "chunk size \(size)")
        }
        for bad in [0, -1, Int.min] {
            XCTAssertThrowsError(try pool.map(Square.self, over: inputs, chunkSize: bad)) { error in
                XCTAssertEqual((error as? WorkerPoolError)?.code, .invalidChunkSize)
                XCTAssertEqual((error as? WorkerPoolError)?.value, bad)
            }
        }
    }

    func testKillNineOfAWorkerMidMapFailsOnlyTheItemItWasRunning() throws {
        let pool = try Pool(workers: 2)
        defer { pool.shutdown() }
        for size in [1, 10, 64] {
            let plain = try pool.mapResults(KillsItselfOn37.self, over: 0..<200, chunkSize: size)
            let text = try pool.mapResults(KillsItselfOnText37.self, over: (0..<200).map(String.init), chunkSize: size)
            for i in 0..<200 where i != 37 {
                XCTAssertEqual(try plain[i].get(), i * 3, "plain task \(i), chunk size \(size)")
                XCTAssertEqual(try text[i].get(), "\(i)!", "encoded task \(i), chunk size \(size)")
            }
            for result in [plain[37].map { "\($0)" }, text[37]] {
                guard case .failure(let error) = result else { return XCTFail("task 37 should fail (chunk size \(size))") }
                XCTAssertEqual(error.index, 37)
                XCTAssertEqual(error.reason, .workerDied(.signaled(SIGKILL)))
                XCTAssertFalse(pool.workerPIDs.contains(error.pid), "the killed worker was replaced: \(error)")
                let line = "\(error)"
                XCTAssertTrue(line.contains("task 37") && line.contains("pid \(error.pid)") && line.contains("SIGKILL"), line)
                XCTAssertFalse(line.contains("\n"), line)
            }
            XCTAssertEqual(pool.workerPIDs.count, 2, "the dead workers were replaced")
        }
        XCTAssertThrowsError(try pool.map(KillsItselfOn37.self, over: 30..<40)) { error in
            XCTAssertEqual((error as? TaskError)?.index, 7)
        }
    }

    func testPlainDataTaskThatThrowsFailsAlone() throws {
        let pool = try Pool(workers: 2)
        defer { pool.shutdown() }
        let results = try pool.mapResults(EvenOnly.self, over: 0..<1_000, chunkSize: 33)
        for (i, result) in results.enumerated() {
            if i % 2 == 0 {
                XCTAssertEqual(try result.get(), Double(i) / 2)
            } else if case .failure(let error) = result {
                XCTAssertEqual(error.reason, .threw(type: "MultiprocessingTests.EvenOnly.Odd", message: "odd input \(i)"))
            } else {
                XCTFail("task \(i) should fail")
            }
        }
        XCTAssertThrowsError(try pool.map(EvenOnly.self, over: [4, 2, 9, 7])) { XCTAssertEqual(($0 as? TaskError)?.index, 2) }
    }

    func testImapUnorderedWithAChunkSizeDeliversEveryOutputOnce() async throws {
        let pool = try Pool(workers: 2)
        defer { pool.shutdown() }
        var seen = [Int?](repeating: nil, count: 10_000)
        for try await (index, output) in pool.imapUnordered(Square.self, over: 0..<10_000, chunkSize: 250) {
            XCTAssertNil(seen[index], "index \(index) delivered twice")
            seen[index] = output
        }
        XCTAssertEqual(seen, (0..<10_000).map { $0 * $0 })
        var ordered: [Point] = []
        let points = (0..<777).map { Point(x: Double($0), n: Int32($0)) }
        for try await point in pool.imap(Mirror.self, over: points, chunkSize: 10) { ordered.append(point) }
        XCTAssertEqual(ordered, points.map { try! Mirror.run($0) })
    }
}
