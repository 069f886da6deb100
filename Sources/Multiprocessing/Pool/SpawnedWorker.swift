#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing

/// How a ``WorkerPool`` starts its worker processes.
///
/// - `fork`: workers are forked from this process; they inherit its memory (segments created before
///   them are already mapped) and start in microseconds. Forking while other threads of this process
///   hold locks inside the Swift runtime can, rarely, leave a worker waiting on such a lock forever.
/// - `spawn`: workers are new runs of this program (`posix_spawn` of `/proc/self/exe`), started with a
///   marker in their environment. They share nothing but what they attach (the pool's control block,
///   and segments through `/proc/<parent>/fd`), so they are safe whatever threads this process runs.
///   The program must call ``WorkerPool/runSpawnedWorkerIfRequested()`` first thing in `main`.
public enum StartMethod: String, Sendable, CaseIterable {
    case fork, spawn

    static let initializerMessage =
        "an initializer closure cannot run in a spawned worker (it does not share this process's memory); use .fork"
}

/// Starting and running workers with the `spawn` start method.
enum SpawnedWorker {
    static let environmentKey = "MPROC_SPAWNED_WORKER"

    /// Starts `/proc/self/exe` as worker `index` and waits for it to check in.
    static func launch(control: SharedMemory, index: Int, startSequence: UInt32, slot: WorkerSlot) throws -> pid_t {
        slot.checkIn.store(0, ordering: .relaxed)
        let marker = "\(environmentKey)=\(getpid()),\(control.fileDescriptor),\(control.byteCount),\(index),\(startSequence)"
        // The spin time in force, not the one this process started with.
        var environment = [marker, "\(SpinWait.environmentKey)=\(SpinWait.microseconds)"]
        // The Swift runtime reads SWIFT_BACKTRACE before `main`: turn its crash handler off there too.
        let quiet = !CrashTraces.requested
        if quiet { environment.append(CrashTraces.runtimeSetting) }
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if !text.hasPrefix(environmentKey + "="), !text.hasPrefix(SpinWait.environmentKey + "="),
               !(quiet && text.hasPrefix("SWIFT_BACKTRACE=")) {
                environment.append(text)
            }
            entry += 1
        }
        let arguments = [CommandLine.arguments.first ?? "worker"]
        var pid: pid_t = 0
        let rc = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in posix_spawn(&pid, "/proc/self/exe", nil, nil, argv, envp) }
        }
        guard rc == 0 else { throw WorkerPoolError.spawnFailed(SystemError("posix_spawn", "/proc/self/exe", code: rc).description) }
        // The program must reach runSpawnedWorkerIfRequested(); if it does not check in, it never will.
        let deadline = ContinuousClock.now.advanced(by: .seconds(20))
        while slot.checkIn.load(ordering: .acquiring) != Int(pid) {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw WorkerPoolError.spawnFailed(
                    "spawned worker pid \(pid) exited with \(ExitStatus(waitStatus: status)) before it started; "
                        + "does the program call WorkerPool.runSpawnedWorkerIfRequested() at the start of main?")
            }
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, nil, 0)
                throw WorkerPoolError.spawnFailed(
                    "spawned worker pid \(pid) did not start within 20 s; "
                        + "call WorkerPool.runSpawnedWorkerIfRequested() at the start of main")
            }
            usleep(200)
        }
        return pid
    }

    /// In a spawned worker: attach the pool and run the worker loop (never returns).
    static func runIfRequested() {
        guard let raw = getenv(environmentKey) else { return }
        let fields = String(cString: raw).split(separator: ",").compactMap { Int($0) }
        unsetenv(environmentKey)
        guard fields.count == 5 else { _exit(70) }
        let (parent, fd, length, index, start) = (pid_t(fields[0]), fields[1], fields[2], fields[3], UInt32(truncatingIfNeeded: fields[4]))
        let path = "/proc/\(parent)/fd/\(fd)"
        let file = open(path, O_RDWR | O_CLOEXEC)
        guard file >= 0 else { _exit(71) }
        guard let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, file, 0), base != MAP_FAILED else { _exit(72) }
        close(file)
        let control = ControlBlock(base: base)
        // Nothing was inherited: every segment is attached by path, and no release concerns this process
        // until it has attached something.
        let context = WorkerContext(workerIndex: index, inheritedWatermark: 0, releaseStart: Int.max)
        let loop = WorkerLoop(control: control, index: index, parentPID: parent, context: context, initializer: nil)
        control.slot(index).checkIn.store(Int(getpid()), ordering: .releasing)
        loop.run(startSequence: start)
    }
}

extension WorkerPool {
    /// Call this first thing in `main` of a program that uses ``StartMethod/spawn``: in a spawned worker it
    /// runs the worker and never returns; in any other run it returns at once.
    public static func runSpawnedWorkerIfRequested() { SpawnedWorker.runIfRequested() }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
