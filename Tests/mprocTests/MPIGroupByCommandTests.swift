import Foundation
import XCTest

/// `mproc groupby --mpi` under `mpirun -np 2` and `-np 3`: the same output, byte for byte, as one node's
/// `groupby`, medians included (dense and sparse keys, a coarse partials grid of many groups, fewer groups
/// than ranks, int32 big-endian keys, float32, int16 and gzip HDF5 values), and clear refusals.
final class MPIGroupByCommandTests: XCTestCase {
    static let ops = "count,sum,mean,var,std,min,max,median"

    /// Writes the inputs with numpy and h5py (skips without them).
    private func makeInputs(in directory: TemporaryDirectory) throws {
        let script = """
            import numpy as np, h5py, sys
            d = sys.argv[1]
            rng = np.random.default_rng(12)
            n = 400_003                                                          # odd length
            np.save(d + '/hour.npy', rng.integers(0, 24, n))                    # dense int64 keys
            np.save(d + '/station.npy', rng.integers(-2**40, 2**40, 3000)[rng.integers(0, 3000, n)])  # sparse
            np.save(d + '/bin.npy', rng.integers(-500, 500, n).astype('>i4'))   # dense big-endian int32
            np.save(d + '/cell.npy', rng.integers(0, 40_000, n))                # many groups: a coarse grid
            np.save(d + '/side.npy', rng.integers(0, 2, n).astype(np.int32))    # fewer groups than ranks
            v = 1e6 + rng.standard_normal(n)                                     # offset values with NaN
            v[[7, 99_999]] = np.nan
            np.save(d + '/offset.npy', v)
            np.save(d + '/float32.npy', rng.standard_normal(n).astype(np.float32))
            np.save(d + '/int16.npy', rng.integers(-30000, 30000, n).astype(np.int16))
            with h5py.File(d + '/run.h5', 'w') as f:
                f.create_dataset('k', data=rng.integers(0, 50, 200_001), chunks=(10_000,), compression='gzip')
                f.create_dataset('v', data=rng.standard_normal(200_001) * 5 + 40, chunks=(10_000,), compression='gzip')
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, directory.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy and h5py is needed to write the inputs") }
    }

    func testGroupByAcrossRanksPrintsWhatOneNodePrints() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        try makeInputs(in: directory)
        let pairs = [("hour", "offset"), ("station", "float32"), ("bin", "int16"), ("cell", "offset"), ("hour", "int16"), ("side", "offset")]
            .map { (directory.file("\($0.0).npy"), directory.file("\($0.1).npy")) }
            + [(directory.file("run.h5") + ":/k", directory.file("run.h5") + ":/v")]
        for (keys, values) in pairs {
            let single = try CLI.run(["groupby", keys, values, "--ops", Self.ops, "--ddof", "1", "--json", "-w", "2"])
            XCTAssertEqual(single.status, 0, single.stderr)
            XCTAssertNotNil(single.json?["keys"] as? [Int], single.stdout)
            XCTAssertNotNil(single.json?["median"] as? [Any], single.stdout)
            for (ranks, workers) in [(2, 1), (3, 1)] {
                let result = try MPIRun.run(ranks: ranks, ["groupby", "--mpi", keys, values, "--ops", Self.ops, "--ddof", "1", "--json", "-w", "\(workers)"])
                XCTAssertEqual(result.status, 0, "\(keys) \(values), \(ranks) ranks: \(result.stderr)")
                XCTAssertEqual(result.stdout, single.stdout, "\(keys) \(values), \(ranks) ranks")
            }
        }
        XCTAssertEqual(packageSegments(), [])
    }

    func testBadInputsAcrossRanksAreReportedOnce() throws {
        try MPIRun.requireMPI()
        let directory = try TemporaryDirectory()
        try makeInputs(in: directory)
        for (arguments, message) in [
            ([directory.file("hour.npy"), directory.file("offset.npy"), "--ops", "mean,mode"], "unknown statistic 'mode'"),
            ([directory.file("offset.npy"), directory.file("offset.npy")], "keys must be integers"),
            ([directory.file("run.h5") + ":/k", directory.file("offset.npy")], "must match"),
        ] {
            let result = try MPIRun.run(ranks: 3, ["groupby", "--mpi"] + arguments + ["-w", "1"])
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertEqual(result.stderr.components(separatedBy: message).count - 1, 1, "\(arguments): \(result.stderr)")
        }
        XCTAssertEqual(packageSegments(), [])
    }
}
