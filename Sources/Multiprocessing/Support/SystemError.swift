#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing

/// An operating-system call that failed: which call, on what, and the errno text.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    /// The C function that failed, e.g. `shm_open`.
    public let call: String
    /// What it was called on (a segment name, a path, a pid).
    public let subject: String
    /// The errno value.
    public let code: Int32

    public init(_ call: String, _ subject: String, code: Int32 = mp_errno()) {
        self.call = call
        self.subject = subject
        self.code = code
    }

    public var description: String {
        let text = String(cString: strerror(code))
        return subject.isEmpty ? "\(call) failed: \(text)" : "\(call)(\(subject)) failed: \(text)"
    }
}

/// Retries a call interrupted by a signal (EINTR), as swift-system does.
@inline(__always)
func retryingOnInterrupt<T: BinaryInteger>(_ body: () -> T) -> T {
    while true {
        let result = body()
        if result == -1 && mp_errno() == EINTR { continue }
        return result
    }
}
