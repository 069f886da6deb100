// Kills the holder of a Lock, a Semaphore or a Barrier party (SIGKILL, while holding or waiting) and checks
// that the survivors are told and recover within a bound: prints one line per case,
// "<case> survived|FAILED <detail>", and exits 0 when all survived. Used by Faults/process_faults.py.
import FuzzDriver
import Multiprocessing
#if canImport(Glibc)
import Glibc
#endif

func fork(_ body: () throws -> Void) -> pid_t {
    fflush(nil)
    let pid = Glibc.fork()
    if pid == 0 {
        do { try body() } catch { _exit(3) }
        while true { pause() }
    }
    return pid
}

func reap(_ pid: pid_t) { var status: Int32 = 0; _ = waitpid(pid, &status, 0) }

nonisolated(unsafe) var failures = 0
func report(_ name: String, _ ok: Bool, _ detail: String) {
    print("\(name) \(ok ? "survived" : "FAILED") \(detail)")
    fflush(nil)
    if !ok { failures += 1 }
}

let holdMilliseconds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20 : 20

// Lock: the holder dies; the next acquire reports ownerDied (naming the pid) and the lock works afterwards.
do {
    let lock = try Lock()
    let held = try Event()
    let holder = fork { try lock.acquire(); held.set() }
    _ = held.wait(timeout: .seconds(5))
    usleep(UInt32(holdMilliseconds * 1000))
    kill(holder, SIGKILL); reap(holder)
    var detail = "no error"
    var told = false
    do { _ = try lock.acquire(timeout: .seconds(3)) } catch { told = error.code == .ownerDied; detail = "\(error)" }
    if told { lock.release() }
    let again = (try? lock.acquire(timeout: .seconds(3))) ?? false
    if again { lock.release() }
    report("lock-holder-killed", told && again, detail)
} catch { report("lock-holder-killed", false, "\(error)") }

// Semaphore (value 1): the holder dies without releasing. A survivor must not wait forever: either it is
// told, or acquire(timeout:) returns false within its timeout (a semaphore has no owner to detect).
do {
    let semaphore = try Semaphore(value: 1)
    let held = try Event()
    let holder = fork { try semaphore.acquire(); held.set() }
    _ = held.wait(timeout: .seconds(5))
    kill(holder, SIGKILL); reap(holder)
    var clock = ContinuousClock().now
    var outcome = "acquired"
    do {
        let got = try semaphore.acquire(timeout: .seconds(1))
        outcome = got ? "acquired" : "timed out"
    } catch { outcome = "\(error)" }
    let waited = ContinuousClock().now - clock
    report("semaphore-holder-killed", waited < .seconds(3), "\(outcome) after \(waited)")
    clock = ContinuousClock().now
} catch { report("semaphore-holder-killed", false, "\(error)") }

// Barrier of 3: one party dies before arriving; the others get brokenBarrier or a timeout, never a hang.
do {
    let barrier = try Barrier(parties: 3)
    let dead = fork { while true { pause() } }
    let other = fork {
        do { _ = try barrier.wait(timeout: .seconds(2)) } catch {}
        _exit(0)
    }
    usleep(UInt32(holdMilliseconds * 1000))
    kill(dead, SIGKILL); reap(dead)
    let start = ContinuousClock().now
    var outcome = "passed"
    do { _ = try barrier.wait(timeout: .seconds(2)) } catch { outcome = "\(error.code)" }
    let waited = ContinuousClock().now - start
    var status: Int32 = 0
    _ = waitpid(other, &status, 0)
    report("barrier-party-killed", outcome != "passed" && waited < .seconds(4), "\(outcome) after \(waited)")
} catch { report("barrier-party-killed", false, "\(error)") }

exit(failures == 0 ? 0 : 1)
