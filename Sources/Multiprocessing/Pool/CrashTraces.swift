#if canImport(Glibc)
import Glibc
#endif

/// Whether a crashing worker may print a backtrace: only when `MPROC_BACKTRACE=1` asks for one (for
/// debugging a crash in a job). Otherwise workers die silently on a crash signal and the parent
/// reports the worker's pid, the signal and the chunk or task in one line.
enum CrashTraces {
    static let environmentKey = "MPROC_BACKTRACE"
    /// Turns the Swift runtime's backtracer off in a process started with it in its environment.
    static let runtimeSetting = "SWIFT_BACKTRACE=enable=no"

    static var requested: Bool {
        guard let value = getenv(environmentKey) else { return false }
        let text = String(cString: value).lowercased()
        return !["", "0", "no", "false", "off"].contains(text)
    }
}
