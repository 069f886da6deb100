#if canImport(Glibc)
import Glibc
#endif

/// The calling process as the OS sees it: its id, its environment, and ending it abruptly (for tests
/// that inject a crash).
///
/// ```swift
/// if CurrentProcess.environment("MPROC_DEBUG") != nil { print("pid", CurrentProcess.id) }
/// ```
public enum CurrentProcess {
    /// The process id. The corresponding C function is `getpid`.
    public static var id: Int32 { getpid() }

    /// An environment variable's value, or nil. The corresponding C function is `getenv`.
    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    /// Ends this process at once with SIGKILL, as a crash the supervisor must survive would.
    public static func killImmediately() -> Never {
        raise(SIGKILL)
        _exit(137)
    }
}

/// A shared library loaded at run time (an optional accelerator such as libdeflate).
///
/// ```swift
/// if let library = DynamicLibrary(firstOf: ["libdeflate.so.0", "libdeflate.so"]) { ... }
/// ```
public struct DynamicLibrary: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer

    /// Loads the first of `names` that the dynamic linker finds (symbols resolved now, kept local);
    /// nil when none is found. The corresponding C function is `dlopen`.
    public init?(firstOf names: [String]) {
        for name in names {
            if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) {
                self.handle = handle
                return
            }
        }
        return nil
    }

    /// The address of `symbol`, or nil. The corresponding C function is `dlsym`.
    public func address(of symbol: String) -> UnsafeMutableRawPointer? {
        dlsym(handle, symbol)
    }
}
