#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest
@testable import HDF5Arrays
import SharedArrays

final class HDF5BatchTests: XCTestCase {
    private var directory = ""
    private var pool: WorkerPool!

    override func setUpWithError() throws {
        directory = try H5TestSupport.makeDirectory()
        pool = try WorkerPool(workers: 2)
    }

    override func tearDown() {
        pool?.shutdown()
        H5TestSupport.removeDirectory(directory)
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private static let allStatistics: [Statistic] = [
        .count, .sum, .mean, .std, .min, .max, .argmin, .argmax, .nanmean, .nancount,
    ]

    func testEveryLayoutAndTypeMatchesNumpy() throws {
        try H5TestSupport.python(BatchFixtures.layoutsAndTypes, in: directory)
        let reference = try BatchFixtures.readReference(path("ref.json"))
        let batch = HDF5Batch(inputs: [directory], statistics: Self.allStatistics, ddof: 1)
        let summary = try batch.run(on: pool)
        XCTAssertEqual(summary.failures.map(\.description), [])
        XCTAssertEqual(summary.fileCount, 3)
        XCTAssertEqual(summary.results.count, reference.count, summary.results.map { $0.dataset ?? "" }.description)
        for record in summary.results {
            let key = "\((record.file as NSString).lastPathComponent):\(record.dataset!)"
            let expected = try XCTUnwrap(reference[key], key)
            let values = try XCTUnwrap(record.statistics, key)
            for statistic in Self.allStatistics {
                let want = expected[statistic.rawValue] ?? nil
                let got = values[statistic]
                if statistic.isInteger || [.min, .max].contains(statistic) {
                    XCTAssertTrue(sameAnswer(got, want), "\(key) \(statistic): \(String(describing: got)) vs numpy \(String(describing: want))")
                } else if let want, let got, want.isFinite {
                    let tolerance = record.dtype == .float32 ? 1e-6 : 1e-11
                    XCTAssertEqual(got, want, accuracy: tolerance * max(1, abs(want)), "\(key) \(statistic)")
                } else {
                    XCTAssertTrue(sameAnswer(got, want), "\(key) \(statistic): \(String(describing: got)) vs numpy \(String(describing: want))")
                }
            }
        }
        // Without libdeflate (HDF5's own gzip filter): the same bits.
        setenv("MPROC_NO_LIBDEFLATE", "1", 1)
        let plainPool = try WorkerPool(workers: 2)
        unsetenv("MPROC_NO_LIBDEFLATE")
        defer { plainPool.shutdown() }
        let plain = try batch.run(on: plainPool)
        XCTAssertEqual(plain.results.map(\.statistics), summary.results.map(\.statistics))

        let byName = Dictionary(uniqueKeysWithValues: summary.results.map { ($0.dataset!, $0) })
        XCTAssertEqual(byName["/be_i16"]?.storedType, "int16 big-endian")
        XCTAssertEqual(byName["/be_i16"]?.dtype, .int32)
        XCTAssertEqual(byName["/be_i16"]?.filters, ["shuffle", "gzip"])
        XCTAssertEqual(byName["/compact_u8"]?.layout, "compact")
        XCTAssertEqual(byName["/cube3d"]?.shape, [7, 5, 6])
        XCTAssertEqual(byName["/scalar"]?.shape, [])
    }

    func testLargeDatasetsSplitAcrossWorkersGiveTheSameBitsAsLoadingThem() throws {
        let file = path("big.h5")
        let writer = try HDF5Writer(path: file)
        let n = 400_000
        let values = (0..<n).map { sin(Double($0) * 0.001) * 1000 + Double($0 % 97) }
        try writer.createDataset("/series", dtype: .float64, shape: [n], chunkRows: 30_000, gzipLevel: 1, shuffle: true)
        try values.withUnsafeBytes { try writer.writeElements(dataset: "/series", range: 0..<n, from: $0.baseAddress!, dtype: .float64) }
        try writer.createDataset("/table", dtype: .float32, shape: [5_000, 37], chunkRows: 100)
        try values.withUnsafeBytes { try writer.writeElements(dataset: "/table", range: 0..<185_000, from: $0.baseAddress!, dtype: .float64) }
        try writer.close()

        let statistics: [Statistic] = [.sum, .mean, .var, .min, .max, .argmin, .argmax, .norm]
        var batch = HDF5Batch(inputs: [file], statistics: statistics)
        batch.smallDatasetBytes = 100 << 10   // both datasets are split
        batch.pieceBytes = 300 << 10
        batch.slabBytes = 200 << 10
        let streamed = try batch.run(on: pool)
        XCTAssertEqual(streamed.results.count, 2, streamed.failures.description)

        let series = try SharedArray<Double>.load(hdf5: file, dataset: "/series", on: pool).statistics(statistics)
        let table = try SharedArray<Float>.load(hdf5: file, dataset: "/table", on: pool).statistics(statistics)
        let byName = Dictionary(uniqueKeysWithValues: streamed.results.map { ($0.dataset!, $0.statistics!) })
        XCTAssertEqual(byName["/series"], series, "streamed pieces must combine to the loaded array's exact result")
        XCTAssertEqual(byName["/table"], table)

        // Not split, the shared-array way, and with another worker count: the same bits.
        batch.smallDatasetBytes = 64 << 20
        let whole = try batch.run(on: pool)
        batch.strategy = .sharedArrays
        let shared = try batch.run(on: pool)
        let three = try WorkerPool(workers: 3)
        defer { three.shutdown() }
        batch.strategy = .streaming
        batch.smallDatasetBytes = 100 << 10
        let threeWorkers = try batch.run(on: three)
        for other in [whole, shared, threeWorkers] {
            XCTAssertEqual(other.results.map(\.statistics), streamed.results.map(\.statistics))
        }
    }

    func testBadInputsBecomeRecordsAndTheBatchGoesOn() throws {
        try H5TestSupport.python("""
            import numpy as np, h5py, os
            with h5py.File('good.h5', 'w') as f:
                f['x'] = np.arange(100.0)
                f['names'] = np.array([b'a', b'b'])
                f['table'] = np.zeros(3, dtype=[('a', '<f8'), ('b', '<i4')])
            with h5py.File('only_strings.h5', 'w') as f:
                f['names'] = np.array([b'a', b'b'])
            with h5py.File('truncated.h5', 'w') as f:
                f.create_dataset('x', data=np.arange(20000.0), chunks=(1000,), compression='gzip')
            size = os.path.getsize('truncated.h5')
            os.truncate('truncated.h5', size // 2)
            # Damaged data, intact metadata: overwrite the middle of the first gzip chunk.
            with h5py.File('badchunk.h5', 'w') as f:
                f.create_dataset('x', data=np.random.default_rng(1).normal(0, 1, 20000), chunks=(20000,), compression='gzip')
                offset = f['x'].id.get_chunk_info(0).byte_offset
            with open('badchunk.h5', 'r+b') as raw:
                raw.seek(offset + 100)
                raw.write(b'\\xff' * 64)
            open('notes.h5', 'w').write('these are not the data you are looking for\\n')
            """, in: directory)
        let inputs = ["good.h5", "only_strings.h5", "truncated.h5", "badchunk.h5", "notes.h5", "missing.h5"].map(path)
        let summary = try HDF5Batch(inputs: inputs, datasets: ["/**"], statistics: [.mean]).run(on: pool)
        func messages(_ file: String) -> String {
            summary.failures.filter { $0.file == path(file) }.map(\.description).joined(separator: "\n")
        }
        XCTAssertEqual(summary.results.map(\.dataset), ["/x"])
        XCTAssertEqual(summary.results.first?.statistics?[.mean], 49.5)
        XCTAssertEqual(Set(summary.records.filter { $0.status == .skipped }.map { $0.dataset! }), ["/names", "/table"])
        XCTAssertTrue(messages("only_strings.h5").contains("no numeric dataset matches '/**'"), messages("only_strings.h5"))
        XCTAssertTrue(messages("truncated.h5").contains("truncated"), messages("truncated.h5"))
        XCTAssertTrue(messages("badchunk.h5").contains("badchunk.h5:/x: reading elements"), messages("badchunk.h5"))
        XCTAssertTrue(messages("notes.h5").contains("not an HDF5 file"), messages("notes.h5"))
        XCTAssertTrue(messages("missing.h5").contains("no such file"), messages("missing.h5"))
        XCTAssertEqual(Set(summary.failedFiles), Set(inputs.dropFirst().map { $0 }))

        // Named explicitly, a missing, string or compound dataset is a failure of its own.
        let named = try HDF5Batch(inputs: [path("good.h5")], datasets: ["/x", "/names", "/table", "/nope"], statistics: [.mean])
            .run(on: pool)
        XCTAssertEqual(named.results.map(\.dataset), ["/x"])
        let failures = Dictionary(uniqueKeysWithValues: named.failures.map { ($0.dataset!, $0.message!) })
        XCTAssertTrue(failures["/names"]?.contains("string") == true, failures.description)
        XCTAssertTrue(failures["/table"]?.contains("compound") == true, failures.description)
        XCTAssertTrue(failures["/nope"]?.contains("no such dataset") == true, failures.description)
    }

    func testAWorkerKilledOnOneFileFailsOnlyThatFile() throws {
        for i in 0..<6 { try BatchFixtures.writeSeries(path("f\(i).h5"), count: 1000, start: Double(i)) }
        setenv("MPROC_TEST_CRASH_ON", "f3.h5", 1)
        defer { unsetenv("MPROC_TEST_CRASH_ON") }
        let crashing = try WorkerPool(workers: 2)
        defer { crashing.shutdown() }
        let summary = try HDF5Batch(inputs: [directory], statistics: [.mean]).run(on: crashing)
        XCTAssertEqual(summary.failures.map(\.file), [path("f3.h5")])
        XCTAssertTrue(summary.failures.first?.message?.contains("died with signal 9 (SIGKILL)") == true,
                      summary.failures.description)
        XCTAssertEqual(summary.results.count, 5)
        for record in summary.results {
            let i = Double(record.file.dropFirst(directory.count + 2).prefix(1))!
            XCTAssertEqual(record.statistics?[.mean], i + 249.75)
        }
    }

    func testSummaryReadsBackFromEveryFormat() throws {
        try H5TestSupport.python(BatchFixtures.layoutsAndTypes, in: directory)
        _ = FileManager.default.createFile(atPath: path("broken.h5"), contents: Data("nope".utf8))
        let summary = try HDF5Batch(inputs: [directory], statistics: Self.allStatistics, ddof: 1).run(on: pool)
        XCTAssertEqual(summary.failures.count, 1)
        for name in ["s.csv", "s.json", "s.h5"] {
            let out = path("out/" + name)
            try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
            try HDF5BatchSummaryFile.write(summary, to: out)
            let back = try HDF5BatchSummaryFile.read(out)
            XCTAssertEqual(back.count, summary.records.count, name)
            for (a, b) in zip(summary.records, back) {
                var x = a, y = b
                for statistic in Self.allStatistics {
                    XCTAssertTrue(sameAnswer(a.statistics?[statistic], b.statistics?[statistic]),
                                  "\(name) \(a.dataset ?? a.file) \(statistic)")
                }
                x.statistics = nil
                y.statistics = nil
                if x.status != .ok { x.bytes = 0 }
                XCTAssertEqual(x, y, name)
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("out")).sorted(), ["s.csv", "s.h5", "s.json"],
                       "no temporary files left")
    }

    func testResumeSkipsUnchangedFilesAndReadsChangedNewAndFailedOnes() throws {
        let data = path("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for i in 0..<5 { try BatchFixtures.writeSeries("\(data)/f\(i).h5", count: 2000, start: Double(i)) }
        _ = FileManager.default.createFile(atPath: "\(data)/f5.h5", contents: Data("not yet".utf8))
        let out = path("summary.json")
        let batch = HDF5Batch(inputs: [data], statistics: [.mean, .max])
        let first = try batch.run(on: pool, output: out)
        XCTAssertEqual(first.failedFiles, ["\(data)/f5.h5"])

        try BatchFixtures.writeSeries("\(data)/f2.h5", count: 2000, start: 100)   // changed
        try BatchFixtures.writeSeries("\(data)/f5.h5", count: 2000, start: 5)     // repaired
        try BatchFixtures.writeSeries("\(data)/f6.h5", count: 2000, start: 6)     // new
        let second = try batch.run(on: pool, output: out, resume: true)
        XCTAssertEqual(second.resumedFiles, 4)
        XCTAssertEqual(second.failures.count, 0)
        XCTAssertEqual(second.results.map { $0.statistics![.mean]! }, [499.75, 500.75, 599.75, 502.75, 503.75, 504.75, 505.75])
        XCTAssertEqual(try HDF5BatchSummaryFile.read(out).count, 7)

        // Asking for a statistic the summary lacks, or another ddof, reads everything again.
        let more = try HDF5Batch(inputs: [data], statistics: [.mean, .std]).run(on: pool, output: out, resume: true)
        XCTAssertEqual(more.resumedFiles, 0)
        let same = try HDF5Batch(inputs: [data], statistics: [.std]).run(on: pool, output: out, resume: true)
        XCTAssertEqual(same.resumedFiles, 7)

        // A summary kept among the inputs is never read as one of them.
        let inside = data + "/summary.h5"
        _ = try batch.run(on: pool, output: inside)
        let again = try batch.run(on: pool, output: inside, resume: true)
        XCTAssertEqual(again.resumedFiles, 7)
        XCTAssertFalse(again.records.contains { $0.file == inside })
    }

    func testDirectoriesExpandToHDF5FilesOnly() throws {
        let tree = path("tree")
        try FileManager.default.createDirectory(atPath: tree + "/sub/deeper", withIntermediateDirectories: true)
        try BatchFixtures.writeSeries(tree + "/b.h5", count: 10)
        try BatchFixtures.writeSeries(tree + "/sub/a.hdf5", count: 10)
        try BatchFixtures.writeSeries(tree + "/sub/deeper/model.nc", count: 10)      // netCDF-4: by signature
        try BatchFixtures.writeSeries(tree + "/sub/noextension", count: 10)          // by signature
        try BatchFixtures.writeSeries(tree + "/.hidden.h5", count: 10)               // hidden: left out
        _ = FileManager.default.createFile(atPath: tree + "/README.txt", contents: Data("text".utf8))
        _ = FileManager.default.createFile(atPath: tree + "/broken.h5", contents: Data("text".utf8))
        let (files, missing) = HDF5Batch.expand([tree, tree + "/b.h5", path("absent")])
        XCTAssertEqual(files.map { String($0.path.dropFirst(tree.count)) },
                       ["/b.h5", "/broken.h5", "/sub/a.hdf5", "/sub/deeper/model.nc", "/sub/noextension"])
        XCTAssertEqual(missing.map(\.file), [path("absent")])
    }

    func testUnwritableOutputFailsBeforeAnyFileIsRead() throws {
        try BatchFixtures.writeSeries(path("a.h5"), count: 10)
        let batch = HDF5Batch(inputs: [path("a.h5")], statistics: [.mean])
        XCTAssertThrowsError(try batch.run(on: pool, output: path("no/such/dir/summary.csv"))) { error in
            XCTAssertTrue("\(error)".contains("cannot write to \(path("no/such/dir"))"), "\(error)")
        }
        XCTAssertThrowsError(try batch.run(on: pool, output: path("summary.txt"))) { error in
            XCTAssertTrue("\(error)".contains(".csv, .json or .h5"), "\(error)")
        }
    }
}
