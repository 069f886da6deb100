#if canImport(Glibc)
import Glibc
#endif

/// Stage messages on stderr while long work runs, only when stderr is a terminal (quiet in pipes and CI).
final class Progress {
    private let enabled: Bool
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init(enabled: Bool) {
        self.enabled = enabled
        start = clock.now
    }

    func stage(_ message: String) {
        guard enabled else { return }
        let elapsed = clock.now - start
        writeStandardError("\r\u{1B}[K[\(formatMilliseconds(elapsed)) ms] \(message)...")
    }

    func finish() {
        guard enabled else { return }
        writeStandardError("\r\u{1B}[K")
    }
}

func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

/// Writes to file descriptor 2 directly (unbuffered, no shared `FILE *`).
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { break }
        offset += n
    }
}
