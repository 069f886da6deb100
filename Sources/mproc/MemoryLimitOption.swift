import ArgumentParser
import SharedArrays

/// `--memory-limit SIZE`: the shared memory `stats` and `map` may use for the data. A dataset larger than
/// it is streamed through two windows instead of loaded (see ``StreamedReduction``).
struct MemoryLimitOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Stream a dataset larger than SIZE through bounded windows instead of loading it (e.g. 64M, 1G; default: "
            + "three quarters of the memory available now, MemAvailable or the cgroup's remaining limit, whichever is less).",
        valueName: "size"))
    var memoryLimit: String?

    func validate() throws { _ = try bytes() }

    /// The limit in bytes: the one asked for, or ``defaultBytes``; nil when neither is known (never stream).
    func bytes() throws -> Int? {
        guard let memoryLimit else { return Self.defaultBytes }
        do {
            return try SizeLimit(parsing: memoryLimit).bytes
        } catch {
            throw ValidationError("--memory-limit: \(error)")
        }
    }

    /// Three quarters of ``MemoryBudget/available``: room is left for the process, the partials and the rest
    /// of the machine.
    static var defaultBytes: Int? { MemoryBudget.available.map { $0 / 4 * 3 } }
}
