import ArgumentParser
import Foundation

/// The rank an MPI launcher gave this process, read from the environment before MPI starts (Open MPI's
/// `OMPI_COMM_WORLD_RANK`, PMIx's `PMIX_RANK`, MPICH's `PMI_RANK`): every rank of `mpirun -np N mproc ... --mpi`
/// parses the same arguments, so a mistake in them is reported by rank 0 alone, not N times.
enum LaunchedRank {
    /// This process's rank when an MPI launcher started it, else nil.
    static var current: Int? {
        let environment = ProcessInfo.processInfo.environment
        for name in ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"] {
            if let value = environment[name], let rank = Int(value), rank >= 0 { return rank }
        }
        return nil
    }

    /// Whether this run is a rank other than 0 of an `--mpi` job: its argument errors and help stay quiet.
    static func isQuietRank(arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Bool {
        guard arguments.contains("--mpi"), let rank = current else { return false }
        return rank > 0
    }
}

extension Mproc {
    /// Parses the arguments and runs the command, as `main(nil)` does, except that on ranks other than 0 of an
    /// `--mpi` job a parse error (or `--help`) ends the process quietly (rank 0 reports it and fails the job).
    static func parseAndRun() {
        let quiet = LaunchedRank.isQuietRank()
        // The parser answers --help with a command that prints it: on a quiet rank there is nothing to do.
        let arguments = CommandLine.arguments.dropFirst()
        if quiet, arguments.first == "help" || arguments.contains("--help") || arguments.contains("-h") { exit(withError: ExitCode.success) }
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            // Exit 0 quietly: a non-zero exit makes mpirun end the job at once, maybe before rank 0 has printed
            // the error; rank 0's own exit status is the job's.
            if quiet { exit(withError: ExitCode.success) }
            exit(withError: error)
        }
        var running = command
        do { try running.run() } catch { exit(withError: error) }
    }
}
