#if MPI
import ArgumentParser
import DistributedArrays
import Foundation
import SharedArrays

/// One rank of an `mpirun -np N mproc COMMAND --mpi ...` job: starts MPI, runs the command's part, and ends
/// every way the same: a failure every rank agreed on (``RankFailure``) is printed once, by rank 0; a
/// collective that failed or timed out (the ranks are out of step) ends the whole job with one line.
/// The pool must exist before: workers fork before MPI starts (forking after `MPI_Init` is unsafe).
enum RankRun {
    static func run(pool: WorkerPool, timeout: Duration?, _ body: (MPICommunicator) throws -> Void) throws {
        let world: MPICommunicator
        do { world = try MPICommunicator(timeout: timeout ?? .seconds(24 * 3600)) } catch {
            throw CLIError("--mpi: \(error) (is this program running under mpirun?)")
        }
        if world.rank == 0, let note = bindingNote(workers: pool.workerCount) { writeStandardError("note: \(note)\n") }
        do {
            try body(world)
            world.finalize()
        } catch let failure as RankFailure {
            // Every rank has settled: rank 0 reports the first rank's error once, before MPI_Finalize lets the
            // other ranks exit (mpirun ends a job as soon as one rank exits non-zero: the line could be cut).
            writeStandardError("Error: \(failure.message)\n")
            try? world.barrier(timeout: .seconds(30))
            world.finalize()
            throw ExitCode(1)
        } catch is DistributedFailure {
            // Rank 0 is printing the error: wait for it (bounded) before exiting non-zero.
            try? world.barrier(timeout: .seconds(30))
            world.finalize()
            throw ExitCode(1)
        } catch {
            // A collective failed or timed out: the ranks are out of step, so end them all.
            writeStandardError("Error: \(world.describe(rank: world.rank)): \(error)\n")
            pool.shutdown()
            world.abort(1)
        }
    }

    /// Why this rank's workers may not get the cores they should, or nil: mpirun binds each rank to a core (or
    /// a socket) by default, and the workers, forked by the rank, inherit the binding. More workers than
    /// the rank's cores share them; ranks that together hold fewer cores than the node leave the rest idle.
    static func bindingNote(workers: Int) -> String? {
        let usable = WorkerPool.availableCores
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let environment = ProcessInfo.processInfo.environment
        let ranksHere = (environment["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? environment["MPI_LOCALNRANKS"]).flatMap { Int($0) } ?? 1
        let fix = "add --bind-to none to mpirun (or --map-by node:PE=\(Swift.max(workers, online / Swift.max(1, ranksHere))))"
        if workers > usable {
            return "rank 0 has \(workers) workers but may run on only \(usable) core\(usable == 1 ? "" : "s") (mpirun binds each rank by default; workers inherit it): \(fix)"
        }
        if online > 0, usable * ranksHere < online {
            return "the \(ranksHere) rank\(ranksHere == 1 ? "" : "s") on this node may use \(usable * ranksHere) of its \(online) cores (mpirun binds each rank by default; workers inherit it): \(fix)"
        }
        return nil
    }
}
#endif
