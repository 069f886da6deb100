import ArgumentParser
import SharedArrays

/// `--max-bytes SIZE`, the admission bound of `stats`, `map` and `batch` (see ``SizeLimit``).
struct SizeLimitOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Refuse a dataset whose declared size in memory exceeds SIZE (e.g. 512M, 8G, 1T; default: the smaller of 1 TiB and physical memory).",
        valueName: "size"))
    var maxBytes: String?

    func validate() throws { _ = try limit() }

    /// The limit asked for, or ``SizeLimit/default``.
    func limit() throws -> SizeLimit {
        guard let maxBytes else { return .default }
        do {
            return try SizeLimit(parsing: maxBytes)
        } catch {
            throw ValidationError("--max-bytes: \(error)")
        }
    }
}
