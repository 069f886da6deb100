import SharedArrays

/// The outcome of one input of a batch: one dataset of one file, or a file that could not be read at all.
///
/// Failures are values, never thrown: a truncated file, a missing dataset or a dataset of strings gives a
/// record with ``Status-swift.enum/failed`` and a message, and the batch goes on with the next input.
public struct HDF5BatchRecord: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        /// The statistics were computed.
        case ok
        /// The file or dataset could not be read; ``message`` says why.
        case failed
        /// A glob matched a dataset that does not hold numbers (strings, compound ...); it was left out.
        case skipped
    }

    /// The file, as the batch found it (an input, or a path inside an input directory).
    public var file: String
    /// The dataset's absolute path; nil when the file itself failed (missing, not HDF5, truncated ...).
    public var dataset: String?
    /// The ``HDF5DatasetSelector`` pattern that selected this dataset.
    public var pattern: String
    public var status: Status
    /// Why the input failed or was skipped, without the file and dataset names (see ``description``).
    public var message: String?
    /// The element type the statistics were computed in (int16 and uint8 are computed as int32).
    public var dtype: DType?
    /// The stored type as a person reads it (`int16 big-endian`, `string`, ...).
    public var storedType: String?
    /// The dataset's shape (`[]` for a scalar).
    public var shape: [Int]?
    /// `contiguous`, `chunked`, `compact` or `virtual`.
    public var layout: String?
    /// The filter pipeline, e.g. `["shuffle", "gzip"]`.
    public var filters: [String]
    /// The dataset's size in memory as computed (elements times the size of ``dtype``).
    public var bytes: Int
    /// The statistics asked for, in the order asked; nil unless ``status`` is ok.
    public var statistics: Statistics?
    /// The delta degrees of freedom `var` and `std` were computed with.
    public var ddof: Int
    /// The file's size and modification time (nanoseconds since the epoch) when it was read: `--resume`
    /// reuses a record only while both are unchanged.
    public var fileSize: Int
    public var fileModified: Int64

    public init(
        file: String, dataset: String?, pattern: String, status: Status, message: String? = nil, dtype: DType? = nil,
        storedType: String? = nil, shape: [Int]? = nil, layout: String? = nil, filters: [String] = [], bytes: Int = 0,
        statistics: Statistics? = nil, ddof: Int = 0, fileSize: Int = 0, fileModified: Int64 = 0
    ) {
        self.file = file
        self.dataset = dataset
        self.pattern = pattern
        self.status = status
        self.message = message
        self.dtype = dtype
        self.storedType = storedType
        self.shape = shape
        self.layout = layout
        self.filters = filters
        self.bytes = bytes
        self.statistics = statistics
        self.ddof = ddof
        self.fileSize = fileSize
        self.fileModified = fileModified
    }

    /// `FILE:/dataset: message` (or `FILE: message`), as the CLI prints a failure.
    public var description: String {
        let place = dataset.map { "\(file):\($0)" } ?? file
        return message.map { "\(place): \($0)" } ?? place
    }
}

/// What ``HDF5Batch/run(on:output:resume:progress:)`` returns: every record, in input order.
public struct HDF5BatchSummary: Sendable {
    /// One record per dataset (ok, failed or skipped), or per file that could not be read, in input order
    /// (directories sorted by path), datasets in path order.
    public var records: [HDF5BatchRecord]
    /// The statistics each ok record holds, in order.
    public var statistics: [Statistic]
    /// Delta degrees of freedom of `var` and `std`.
    public var ddof: Int
    /// Files the batch covered.
    public var fileCount: Int
    /// Files whose records were taken from the previous summary (`--resume`) without reading them.
    public var resumedFiles: Int
    /// Bytes of the files read in this run.
    public var bytesRead: Int
    /// Wall time of the run.
    public var elapsed: Duration

    public init(records: [HDF5BatchRecord], statistics: [Statistic], ddof: Int, fileCount: Int, resumedFiles: Int = 0,
                bytesRead: Int = 0, elapsed: Duration = .zero) {
        self.records = records
        self.statistics = statistics
        self.ddof = ddof
        self.fileCount = fileCount
        self.resumedFiles = resumedFiles
        self.bytesRead = bytesRead
        self.elapsed = elapsed
    }

    /// The records that failed (file, dataset, message).
    public var failures: [HDF5BatchRecord] { records.filter { $0.status == .failed } }

    /// The files with at least one failed record, in input order.
    public var failedFiles: [String] {
        var seen = Set<String>()
        return failures.compactMap { seen.insert($0.file).inserted ? $0.file : nil }
    }

    /// The datasets whose statistics were computed (or resumed).
    public var results: [HDF5BatchRecord] { records.filter { $0.status == .ok } }
}

/// How far a batch has got, for a progress line.
public struct HDF5BatchProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var bytesDone: Int
    public var bytesTotal: Int
    public var failures: Int
    public var elapsed: Duration

    public init(filesDone: Int, filesTotal: Int, bytesDone: Int, bytesTotal: Int, failures: Int, elapsed: Duration) {
        self.filesDone = filesDone
        self.filesTotal = filesTotal
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.failures = failures
        self.elapsed = elapsed
    }

    /// Bytes per second so far (0 at the start).
    public var bytesPerSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return seconds > 0 ? Double(bytesDone) / seconds : 0
    }

    /// Estimated time left from the rate so far; nil before anything is done.
    public var remaining: Duration? {
        let rate = bytesPerSecond
        guard rate > 0, bytesDone > 0 else { return nil }
        return .milliseconds(Int64(Double(max(0, bytesTotal - bytesDone)) / rate * 1000))
    }
}
