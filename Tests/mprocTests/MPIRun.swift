#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// Runs the built `mproc` as the ranks of an MPI job on this machine (`mpirun -np N --oversubscribe`), with
/// the flags that make Open MPI start fast here (shared memory and self transports only).
enum MPIRun {
    /// `mpirun` on the PATH, or nil.
    static var launcher: String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Skips the test unless mpirun is installed and mproc was built with the MPI trait.
    static func requireMPI() throws {
        guard launcher != nil else { throw XCTSkip("mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)") }
        let probe = try CLI.run(["stats", "datasets/sensors.npy", "--mpi", "--json"])
        if probe.stderr.contains("built without MPI") { throw XCTSkip("mproc was built without MPI (swift build --traits MPI)") }
    }

    /// Runs `mpirun -np ranks mproc arguments...`; a run longer than `timeout` is ended (SIGTERM, which
    /// mpirun passes to every rank) and fails the test.
    /// `environment` adds to the test's environment (`OMPI_MCA_*` settings, say); `bindToNone` lets every
    /// rank run on every core (mpirun binds ranks to cores by default).
    static func run(
        ranks: Int, _ arguments: [String], timeout: TimeInterval = 300, environment: [String: String] = [:], bindToNone: Bool = false,
        started: ((Int32) -> Void)? = nil
    ) throws -> CLI.Result {
        guard let launcher else { throw XCTSkip("mpirun is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher)
        process.arguments = ["--allow-run-as-root", "--oversubscribe", "--mca", "pml", "ob1", "--mca", "btl", "self,vader",
                             "-np", "\(ranks)"] + (bindToNone ? ["--bind-to", "none"] : []) + [CLI.executable] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let ended = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var timedOut = false
        DispatchQueue.global().async {
            if ended.wait(timeout: .now() + timeout) == .timedOut {
                timedOut = true
                process.terminate()
            }
        }
        started?(process.processIdentifier)
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            outData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        ended.signal()
        XCTAssertFalse(timedOut, "mpirun -np \(ranks) mproc \(arguments.joined(separator: " ")) ran longer than \(timeout) s")
        return CLI.Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// The pids of the ranks `mpirun` (pid `launcher`) started, by rank (from each child's environment).
    static func ranks(of launcher: Int32) -> [Int: Int32] {
        var found: [Int: Int32] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in entries.compactMap({ Int32($0) }) {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == launcher,
                  let environment = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ")) else { continue }
            for entry in environment.split(separator: 0) {
                let text = String(decoding: entry, as: UTF8.self)
                if text.hasPrefix("OMPI_COMM_WORLD_RANK="), let rank = Int(text.dropFirst("OMPI_COMM_WORLD_RANK=".count)) {
                    found[rank] = pid
                }
            }
        }
        return found
    }
}
