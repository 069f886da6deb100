/// Stops the process on a programming error in the use of a primitive: releasing a lock the calling
/// thread does not hold, or a bounded semaphore more times than it was acquired. Like Swift's own
/// preconditions, such a call cannot be handled, only fixed; `release()` therefore does not throw, and
/// `defer { lock.release() }` reads as in Python. `fatalError`, not `precondition`: it also traps in
/// `-Ounchecked` builds. The message (on stderr) names the primitive and what was wrong.
func syncMisuse(_ message: String) -> Never {
    fatalError(message)
}
