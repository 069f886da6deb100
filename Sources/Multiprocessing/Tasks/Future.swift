/// The eventual result of a task submitted to an ``Executor`` (Python's `concurrent.futures.Future`).
///
/// ```swift
/// let future = executor.submit(Square.self, 12)
/// let value = try future.result(timeout: .seconds(5))   // or: try await future.value
/// ```
public final class Future<Output: Sendable>: @unchecked Sendable {
    enum State {
        case pending
        case running
        case finished(Result<Output, any Error>)
        case cancelled
    }

    private let lock = ConditionLock()
    private var state = State.pending
    private var callbacks: [@Sendable (Future<Output>) -> Void] = []
    private var continuations: [CheckedContinuation<Output, any Error>] = []
    /// The input's index in its submission order (for error messages and `asCompleted`).
    public let index: Int

    init(index: Int) { self.index = index }

    /// Whether the future finished, failed or was cancelled.
    public var isDone: Bool {
        lock.withLock {
            switch state {
            case .pending, .running: false
            case .finished, .cancelled: true
            }
        }
    }

    /// Whether a worker is running the task now.
    public var isRunning: Bool { lock.withLock { if case .running = state { true } else { false } } }

    /// Whether the task was cancelled before it started.
    public var isCancelled: Bool { lock.withLock { if case .cancelled = state { true } else { false } } }

    /// Cancels the task if it has not started; returns whether it is (now) cancelled.
    @discardableResult
    public func cancel() -> Bool {
        let fire: Bool = lock.withLock {
            switch state {
            case .pending:
                state = .cancelled
                lock.broadcast()
                return true
            case .cancelled: return false
            case .running, .finished: return false
            }
        }
        if fire { fireCallbacks() }
        return isCancelled
    }

    /// Waits for the output. Throws the task's error, ``FutureError/cancelled`` or ``FutureError/timedOut``.
    public func result(timeout: Duration? = nil) throws -> Output {
        let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        return try lock.withLock {
            _ = lock.wait(until: { isFinal(state) }, deadline: deadline)
            switch state {
            case .finished(let result): return try result.get()
            case .cancelled: throw FutureError.cancelled
            case .pending, .running: throw FutureError.timedOut
            }
        }
    }

    /// Waits until the future is done, at most `timeout`; returns whether it is (Python's `AsyncResult.wait`).
    @discardableResult
    public func wait(timeout: Duration? = nil) -> Bool {
        let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        return lock.withLock { lock.wait(until: { isFinal(state) }, deadline: deadline) }
    }

    /// Whether the task finished without an error (Python's `AsyncResult.successful`); nil while not done.
    public var isSuccessful: Bool? {
        lock.withLock {
            switch state {
            case .pending, .running: nil
            case .cancelled: false
            case .finished(let result): if case .success = result { true } else { false }
            }
        }
    }

    /// The error the task failed with, nil if it succeeded (waits like ``result(timeout:)``).
    public func exception(timeout: Duration? = nil) throws -> (any Error)? {
        do {
            _ = try result(timeout: timeout)
            return nil
        } catch FutureError.timedOut {
            throw FutureError.timedOut
        } catch FutureError.cancelled {
            throw FutureError.cancelled
        } catch {
            return error
        }
    }

    /// The output, awaited without blocking a thread.
    public var value: Output {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Result<Output, any Error>? = lock.withLock {
                    switch state {
                    case .finished(let result): return result
                    case .cancelled: return .failure(FutureError.cancelled)
                    case .pending, .running:
                        continuations.append(continuation)
                        return nil
                    }
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        }
    }

    /// The output, awaited without blocking a thread, at most `timeout`: throws ``FutureError/timedOut``
    /// when the task is not done by then (the task itself goes on, as with Python's `result(timeout)`).
    public func value(timeout: Duration) async throws -> Output {
        let once = ResumeOnce<Output>()
        return try await withCheckedThrowingContinuation { continuation in
            once.set(continuation)
            addDoneCallback { done in once.resume(with: Result { try done.result(timeout: .zero) }) }
            Task {
                try? await Task.sleep(for: timeout)
                once.resume(with: .failure(FutureError.timedOut))
            }
        }
    }

    /// Calls `callback` (on the executor's thread) when the future is done; at once if it already is.
    public func addDoneCallback(_ callback: @escaping @Sendable (Future<Output>) -> Void) {
        let now: Bool = lock.withLock {
            if isFinal(state) { return true }
            callbacks.append(callback)
            return false
        }
        if now { callback(self) }
    }

    // MARK: - Executor side

    /// Marks the future running; false if it was cancelled.
    func markRunning() -> Bool {
        lock.withLock {
            guard case .pending = state else { return false }
            state = .running
            return true
        }
    }

    func finish(_ result: Result<Output, any Error>) {
        let waiting: [CheckedContinuation<Output, any Error>] = lock.withLock {
            guard !isFinal(state) else { return [] }
            state = .finished(result)
            lock.broadcast()
            defer { continuations = [] }
            return continuations
        }
        for continuation in waiting { continuation.resume(with: result) }
        fireCallbacks()
    }

    private func fireCallbacks() {
        let pending: [@Sendable (Future<Output>) -> Void] = lock.withLock {
            defer { callbacks = [] }
            return callbacks
        }
        if case .cancelled = lock.withLock({ state }) {
            let waiting = lock.withLock {
                defer { continuations = [] }
                return continuations
            }
            for continuation in waiting { continuation.resume(throwing: FutureError.cancelled) }
        }
        for callback in pending { callback(self) }
    }

    private func isFinal(_ state: State) -> Bool {
        switch state {
        case .pending, .running: false
        case .finished, .cancelled: true
        }
    }
}

/// Why a future has no result.
public enum FutureError: Error, CustomStringConvertible, Sendable, Equatable {
    case cancelled
    case timedOut
    case executorShutDown

    public var description: String {
        switch self {
        case .cancelled: "the task was cancelled before it started"
        case .timedOut: "timed out waiting for the task's result"
        case .executorShutDown: "the executor was shut down before the task ran"
        }
    }
}

/// A continuation resumed by whichever of several racers comes first (a result or a timer).
final class ResumeOnce<Output: Sendable>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var continuation: CheckedContinuation<Output, any Error>?
    private var early: Result<Output, any Error>?
    private var done = false

    func set(_ continuation: CheckedContinuation<Output, any Error>) {
        let ready: Result<Output, any Error>? = lock.withLock {
            if let early { return early }
            self.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(with: ready) }
    }

    func resume(with result: Result<Output, any Error>) {
        let waiting: CheckedContinuation<Output, any Error>? = lock.withLock {
            guard !done else { return nil }
            done = true
            if continuation == nil { early = result }
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume(with: result)
    }
}
