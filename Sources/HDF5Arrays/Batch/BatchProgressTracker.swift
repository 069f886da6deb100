/// Counts files and bytes done and calls the progress callback at most every 100 ms (and ``poll``, when
/// set, every time the running job reports, every few milliseconds).
final class ProgressTracker {
    /// Called on every report of the running job, unthrottled (a distributed batch answers other ranks here).
    var poll: (() -> Void)?
    private(set) var filesDone = 0
    private(set) var bytesDone = 0
    private var liveFiles = 0
    private var liveBytes = 0
    private(set) var failures = 0
    private let filesTotal: Int
    private let bytesTotal: Int
    private let clock: ContinuousClock
    private let start: ContinuousClock.Instant
    private var lastReport: ContinuousClock.Instant
    private let report: ((HDF5BatchProgress) -> Void)?

    init(filesTotal: Int, bytesTotal: Int, clock: ContinuousClock, start: ContinuousClock.Instant,
         report: ((HDF5BatchProgress) -> Void)?) {
        self.filesTotal = filesTotal
        self.bytesTotal = bytesTotal
        self.clock = clock
        self.start = start
        self.report = report
        lastReport = start
    }

    /// Work finished for good.
    func commit(files: Int, bytes: Int) {
        filesDone += files
        bytesDone = CheckedSize.sum(bytesDone, bytes) ?? .max  // sparse files can declare exabytes
        emit()
    }

    /// Inputs that failed.
    func failed(_ count: Int) {
        failures += count
    }

    /// Work of the running job seen so far (replaces the previous live figures).
    func live(files: Int, bytes: Int) {
        liveFiles = files
        liveBytes = bytes
        poll?()
        emit()
    }

    func emit(force: Bool = false) {
        guard let report else { return }
        let now = clock.now
        guard force || now - lastReport >= .milliseconds(100) else { return }
        lastReport = now
        report(HDF5BatchProgress(
            filesDone: min(filesTotal, filesDone + liveFiles), filesTotal: filesTotal,
            bytesDone: min(bytesTotal, CheckedSize.sum(bytesDone, liveBytes) ?? .max), bytesTotal: bytesTotal,
            failures: failures,
            elapsed: now - start))
    }
}
