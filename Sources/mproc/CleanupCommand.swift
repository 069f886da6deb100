import ArgumentParser
import SharedArrays
#if canImport(Glibc)
import Glibc
#endif

struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove shared-memory segments in /dev/shm left by mproc processes that no longer exist.",
        discussion: """
            Removes only regular files named as mproc names its segments (mproc-<pid>-<n>-<salt>), owned by \
            you, whose process is gone. Other entries that look like mproc's are listed with the reason they \
            are left; an entry that cannot be removed is reported with the system's reason (exit status 1).
            """)

    @Flag(name: .long, help: "List what would be removed without removing it.")
    var dryRun = false

    @Flag(name: .long, help: "Root only: also remove orphaned segments of other users.")
    var allUsers = false

    func validate() throws {
        if allUsers && geteuid() != 0 { throw ValidationError("--all-users is for root (other users' segments cannot be removed)") }
    }

    func run() throws {
        let survey = SegmentSweeper.survey(allUsers: allUsers)
        for skipped in survey.skipped {
            print("left /dev/shm/\(skipped.fileName): \(skipped.reason)")
        }
        if survey.removable.isEmpty {
            print("no orphaned segments")
            return
        }
        let removed: [SharedMemory.Entry]
        var failures: [SegmentSweeper.Failure] = []
        if dryRun {
            removed = survey.removable
        } else {
            let result = SegmentSweeper.sweep(survey)
            removed = result.removed
            failures = result.failures
        }
        for entry in removed {
            print("\(dryRun ? "would remove" : "removed") /dev/shm/\(entry.fileName) (\(formatBytes(entry.byteCount)), owner pid \(entry.ownerPID))")
        }
        for failure in failures {
            print("could not remove /dev/shm/\(failure.entry.fileName): \(failure.reason)")
        }
        let bytes = removed.reduce(0) { $0 + $1.byteCount }
        print("\(removed.count) segment\(removed.count == 1 ? "" : "s"), \(formatBytes(bytes))"
            + (failures.isEmpty ? "" : "; \(failures.count) could not be removed"))
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
