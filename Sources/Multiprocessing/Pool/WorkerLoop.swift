#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing

/// The code a worker process runs from its fork to its `_exit`: wait for a job, run chunks, report.
///
/// It uses no Dispatch, no Swift concurrency and no Foundation (none is safe after a fork from a
/// multi-threaded parent), and never returns.
struct WorkerLoop {
    let control: ControlBlock
    let index: Int
    let parentPID: pid_t
    let context: WorkerContext
    let initializer: (@Sendable () -> Void)?

    func run(startSequence: UInt32) -> Never {
        mp_cleanup_forget_in_child()
        // A crash is one line from the parent (pid, signal, chunk), not a backtrace on the user's
        // terminal: unless traces are asked for, crash signals kill the worker without a handler.
        if !CrashTraces.requested { mp_reset_crash_signals() }
        // Die with the parent. PDEATHSIG is racy (the parent may already be gone): check after setting.
        _ = mp_set_parent_death_signal(SIGKILL)
        if getppid() != parentPID { _exit(0) }
        _ = mp_set_process_name("mproc-worker-\(index)")
        // N workers x N BLAS threads would oversubscribe the cores; an initializer may choose otherwise.
        _ = mp_limit_library_threads()
        WorkerContext._current = context
        initializer?()
        var types = WorkerJobTypes()
        var seen = startSequence
        let slot = control.slot(index)
        while true {
            seen = waitForJob(after: seen)
            if control.shutdown.load(ordering: .acquiring) != 0 { _exit(0) }
            for i in 0..<control.releaseCount { context.release(control.releasedSegment(i)) }
            let name = control.jobTypeName
            if let type = types.resolve(name) {
                runChunks(type, slot: slot)
            } else {
                slot.setErrorMessage("job type \(name) is not known in the worker")
                slot.errorChunk.store(0, ordering: .releasing)
            }
            // What the job's tasks printed reaches the terminal before the parent goes on (stdout is
            // fully buffered into a pipe, and `_exit` would discard it).
            fflush(nil)
            slot.finishedSequence.store(Int(seen), ordering: .releasing)
            control.completions.wrappingIncrement(ordering: .releasing)
            _ = mp_futex_wake(control.completionsWord, 1)
        }
    }

    /// Spins briefly (back-to-back calls), then sleeps on the futex until the sequence moves.
    private func waitForJob(after seen: UInt32) -> UInt32 {
        var spin = SpinWait()
        while true {
            let current = control.jobSequence.load(ordering: .acquiring)
            if current != seen { return current }
            if spin.again() { continue }
            _ = mp_futex_wait(control.jobSequenceWord, seen, 1_000_000_000)
            if getppid() != parentPID { _exit(0) }
        }
    }

    private func runChunks(_ job: any WorkerJob.Type, slot: WorkerSlot) {
        let chunks = control.chunkCount
        let workers = control.workerCount
        let payload = UnsafeRawPointer(control.payload)
        // Own range first, then steal from the others in order.
        for offset in 0..<workers {
            let victim = control.slot((index + offset) % workers)
            let end = victim.rangeEnd.load(ordering: .relaxed)
            while control.abort.load(ordering: .relaxed) == 0 {
                let chunk = victim.cursor.loadThenWrappingIncrement(ordering: .relaxed)
                if chunk >= end || chunk >= chunks { break }
                slot.currentChunk.store(chunk, ordering: .relaxed)
                do {
                    try job.runErased(payload, chunk: chunk, context: context)
                } catch {
                    slot.setErrorMessage(String(describing: error))
                    slot.errorChunk.store(chunk, ordering: .releasing)
                    control.abort.store(1, ordering: .releasing)
                }
                slot.currentChunk.store(-1, ordering: .relaxed)
                slot.chunksRun.wrappingIncrement(ordering: .relaxed)
            }
        }
    }
}
