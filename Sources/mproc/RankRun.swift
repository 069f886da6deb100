#if MPI
import ArgumentParser
import DistributedArrays
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
        do {
            try body(world)
            world.finalize()
        } catch let failure as RankFailure {
            // Every rank has settled: rank 0 reports the first rank's error once.
            world.finalize()
            throw CLIError(failure.message)
        } catch is DistributedFailure {
            world.finalize()
            throw ExitCode(1)
        } catch {
            // A collective failed or timed out: the ranks are out of step, so end them all.
            writeStandardError("Error: \(world.describe(rank: world.rank)): \(error)\n")
            pool.shutdown()
            world.abort(1)
        }
    }
}
#endif
