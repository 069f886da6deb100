import ArgumentParser
import SharedArrays

struct CleanupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Remove shared-memory segments in /dev/shm left by mproc processes that no longer exist.")

    @Flag(name: .long, help: "List what would be removed without removing it.")
    var dryRun = false

    func run() throws {
        let orphans = SharedMemory.listSegments().filter(\.ownerIsDead)
        if orphans.isEmpty {
            print("no orphaned segments")
            return
        }
        let removed = dryRun ? orphans : SharedMemory.sweepOrphans()
        for entry in removed {
            print("\(dryRun ? "would remove" : "removed") /dev/shm/\(entry.fileName) (\(formatBytes(entry.byteCount)), owner pid \(entry.ownerPID))")
        }
        let bytes = removed.reduce(0) { $0 + $1.byteCount }
        print("\(removed.count) segment\(removed.count == 1 ? "" : "s"), \(formatBytes(bytes))")
    }
}
