#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing

/// An output written under a temporary name beside its destination and renamed over it only when
/// complete, so an existing file is never left half-written. The temporary file is removed on error,
/// and also if the process is ended by SIGINT, SIGTERM or SIGHUP meanwhile.
///
/// ```swift
/// try TemporaryOutput.write(to: "out.npy") { temporaryPath in try writeEverything(to: temporaryPath) }
/// ```
public enum TemporaryOutput {
    /// Calls `body` with a temporary path in the same directory as `destination`, then renames it over
    /// `destination`.
    public static func write<R>(to destination: String, _ body: (String) throws -> R) throws -> R {
        let slash = destination.lastIndex(of: "/")
        let directory = slash.map { String(destination[..<$0]) } ?? "."
        let name = slash.map { String(destination[destination.index(after: $0)...]) } ?? destination
        let temporary = "\(directory)/.\(name).tmp-\(getpid())"
        mp_cleanup_install_handlers()
        _ = mp_cleanup_add_file(temporary)
        defer { mp_cleanup_remove_file(temporary) }
        do {
            let result = try body(temporary)
            try sync(temporary)
            guard rename(temporary, destination) == 0 else {
                throw SystemError("rename", "\(temporary) -> \(destination)")
            }
            return result
        } catch {
            unlink(temporary)
            throw error
        }
    }

    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SystemError("fsync", path) }
    }
}
