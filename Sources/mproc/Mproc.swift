import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import SharedArrays

extension StartMethod: ExpressibleByArgument {}

@main
struct Mproc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mproc",
        abstract: "Shared-memory, multi-process numeric engine: statistics and generators for large arrays.",
        discussion: """
            Arrays are loaded into shared memory and reduced by persistent worker processes, one per core
            by default. Results do not depend on the number of workers.
            """,
        subcommands: [StatsCommand.self, GenCommand.self, InfoCommand.self, CleanupCommand.self, BenchCommand.self, BatchCommand.self, MapCommand.self,
                      SortCommand.self, ScanCommand.self, GroupByCommand.self, CorrCommand.self, HistogramCommand.self, DotCommand.self],
        defaultSubcommand: nil
    )

    /// Spawned workers (`--start-method spawn`) are new runs of this program: they must become workers
    /// before any argument parsing.
    static func main() {
        WorkerPool.runSpawnedWorkerIfRequested()
        requireStartupHeadroom()
        parseAndRun()
    }

    /// Address space mproc needs free at start: HDF5's initialisation and the Swift runtime allocate without
    /// a way to report failure, so under a tight `ulimit -v` they crashed with a trace instead of an error.
    static let startupHeadroom = 8 << 20

    /// Ends the process with one line when less than ``startupHeadroom`` of address space is left.
    static func requireStartupHeadroom() {
        guard !SystemMemory.canReserveAddressSpace(bytes: startupHeadroom) else { return }
        let message = "mproc: out of memory: fewer than \(startupHeadroom >> 20) MiB of address space are free "
            + "(see ulimit -v); nothing was done\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        Glibc.exit(1)
    }
}

/// Options every command that runs workers shares.
struct WorkerOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Worker processes (default: one per core).")
    var workers: Int?

    @Option(name: .long, help: "How workers start: fork (default) or spawn (new runs of mproc).")
    var startMethod: StartMethod = .fork

    /// A pool as these options ask.
    func makePool() throws -> WorkerPool { try WorkerPool(workers: workers, startMethod: startMethod) }

    func validate() throws {
        if let workers, workers < 1 {
            throw ValidationError("--workers must be at least 1 (got \(workers))")
        }
    }
}
