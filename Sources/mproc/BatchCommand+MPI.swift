import ArgumentParser
import DistributedArrays
import HDF5Arrays
import SharedArrays
#if canImport(Glibc)
import Glibc
#endif

extension BatchCommand {
    /// `batch --mpi`: rank 0 hands the files out as ranks become free, every rank reads its files on its own
    /// pool, and rank 0 writes the one summary (the same records as `batch` on one node) and alone prints.
    func runAcrossRanks() throws {
        #if MPI
        signal(SIGXFSZ, SIG_IGN)  // a file size limit is an error to report, not a reason to die
        HDF5Transform.skipLibraryCleanupAtExit()
        let batch = try makeBatch()
        // The workers fork before MPI starts (forking after MPI_Init is unsafe with Open MPI).
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        // A rank waits for rank 0's answer at most a window's worth of per-file timeouts (plus a minute).
        // (In seconds as a Double, capped: --timeout and --files-per-pass come from the user.)
        let exchange = timeoutOption.timeout.map { Duration.seconds(min(1e12, $0 * Double(filesPerPass) + 60)) } ?? .seconds(24 * 3600)
        let world: MPICommunicator
        do { world = try MPICommunicator(timeout: exchange) } catch {
            throw CLIError("--mpi: \(error) (is this program running under mpirun?)")
        }
        if world.rank == 0, let note = RankRun.bindingNote(workers: pool.workerCount) { writeStandardError("note: \(note)\n") }
        // Rank 0 prints before MPI_Finalize: once a rank exits non-zero, mpirun ends the ranks still running.
        var ending: (any Error)?
        do {
            // Whole lines, not a line redrawn in place: mpirun collects the ranks' output through pipes.
            let progress: ((HDF5BatchProgress) -> Void)? = quiet ? nil : { writeStandardError(progressLine($0) + " · \(world.size) ranks\n") }
            if let summary = try DistributedBatch.run(
                batch, on: pool, world: world, output: out, resume: resume, checkFirst: checkOutput, splitBytes: try parsedSplitBytes(),
                progressInterval: .milliseconds(Int64(progressInterval * 1000)), progress: progress) {
                do { try report(summary, workers: pool.workerCount, ranks: world.size) } catch { ending = error }
            }
            world.finalize()
        } catch let failure as RankFailure {
            // The ranks are in step (each was told to stop): rank 0 reports the rank's error once.
            writeStandardError("Error: \(failure.message)\n")
            world.finalize()
            throw ExitCode(1)
        } catch is DistributedFailure {
            world.finalize()
            throw ExitCode(1)
        } catch {
            // A message did not come in time, or rank 0 itself failed mid-run (its pool, a checkpoint that
            // cannot be written): the other ranks wait for answers that will not come, so end them all.
            guard world.size > 1 else {
                world.finalize()
                throw CLIError(String(describing: error))
            }
            writeStandardError("Error: \(world.describe(rank: world.rank)): \(error)\n")
            pool.shutdown()
            world.abort(1)
        }
        if let ending { throw ending }
        #else
        throw CLIError("--mpi: this mproc was built without MPI: swift build --traits MPI (make builds it that way)")
        #endif
    }
}
