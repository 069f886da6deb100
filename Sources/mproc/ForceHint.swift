import SharedArrays

/// Runs `body`, turning the library's "(overwrite: true replaces it)" advice into the command line's
/// "; pass --force to replace it", so every command that writes a dataset says the same thing.
func suggestingForce<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let error as ArrayIOError where error.reason.hasSuffix(" (overwrite: true replaces it)") {
        let what = error.reason.replacingSuffix(" (overwrite: true replaces it)", with: "; pass --force to replace it")
        throw CLIError(ArrayIOError(error.kind, path: error.path, dataset: error.dataset, what).description)
    }
}
