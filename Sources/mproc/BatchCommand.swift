import ArgumentParser
import HDF5Arrays
import SharedArrays
#if canImport(Glibc)
import Glibc
#endif

struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Statistics of many HDF5 datasets across many files, in parallel, with a per-file error list.",
        discussion: """
            INPUTS are HDF5 files or directories (searched recursively for .h5, .hdf5, .he5, .hdf, .nc4 files \
            and any file with the HDF5 signature, such as netCDF-4 .nc and MATLAB v7.3 .mat files).
            --dataset takes a path (/readings/temperature) or a glob: * within one level, ? one character, \
            ** any number of levels (/** is every dataset). A glob skips datasets that are not numbers.
            A file or dataset that cannot be read is reported and the batch goes on; the exit status is 1 \
            when any input failed.
            --out writes the summary as CSV, JSON or HDF5 (by extension), also as a checkpoint every few \
            seconds; --resume reuses its records of files that are unchanged since.
            Examples:
              mproc batch datasets/batch --dataset '/**' --ops mean,std,min,max
              mproc batch runs/*.h5 --dataset /signal --ops mean,nanstd --out summary.csv
              mproc batch runs/ --dataset '/**/temperature' --out summary.h5 --resume
              mpirun -np 4 mproc batch --mpi runs/ --out summary.csv
            """)

    @Argument(help: "HDF5 files and directories.")
    var inputs: [String]

    @Option(name: .long, help: "Dataset path or glob (repeatable; default: every numeric dataset).")
    var dataset: [String] = []

    @Option(name: .long, help: "Comma-separated statistics (default: count,mean,std,min,max).")
    var ops: String?

    @Option(name: .long, help: "Delta degrees of freedom for var and std (numpy's ddof).")
    var ddof: Int = 0

    @Option(name: .long, help: "Write the summary to this .csv, .json or .h5 file instead of printing a table.")
    var out: String?

    @Flag(name: .long, help: "Continue the batch whose summary is --out: skip the files it already has.")
    var resume = false

    @Flag(name: .long, help: "Replace an existing --out file.")
    var force = false

    @Option(name: .long, help: "What to print when there is no --out: table, csv or json.")
    var format: String = "table"

    @Option(name: .long, help: "streaming (default) or shared (load each dataset into shared memory, then reduce).")
    var strategy: String = "streaming"

    @Option(name: .long, help: "Seconds between checkpoints of --out while the batch runs.")
    var checkpoint: Double = 2

    @Option(name: .long, help: .hidden)
    var filesPerPass: Int = 128

    @Flag(name: .shortAndLong, help: "No progress line and no closing line (failures are still reported).")
    var quiet = false

    @Flag(name: .long, help: ArgumentHelp(
        "Run as one rank of an MPI job (mpirun -np N mproc batch --mpi ...): rank 0 hands the files out as ranks "
            + "become free and writes the one summary; every rank reads its files on its own workers."))
    var mpi = false

    @Option(name: .long, help: ArgumentHelp(
        "With --mpi: files at least SIZE large (e.g. 256M, 4G) are read by every rank together, each rank a share of "
            + "each large dataset's chunks; smaller files go whole to one rank at a time.", valueName: "size"))
    var splitBytes: String = "256M"

    @Option(name: .long, help: ArgumentHelp(
        "With --mpi: seconds between rank 0's progress lines on stderr (mpirun's output is not a terminal, so "
            + "they are whole lines; 0: after every window).", valueName: "seconds"))
    var progressInterval: Double = 5

    @OptionGroup var workerOptions: WorkerOptions

    @OptionGroup var sizeLimitOptions: SizeLimitOptions
    @OptionGroup var timeoutOption: TimeoutOption
    @OptionGroup var decodeOption: DecodeOption

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one HDF5 file or directory") }
        // Also bounds the conversion to milliseconds below (a NaN or 1e300 would trap there).
        if !(checkpoint >= 0 && checkpoint <= 1e9) {
            throw ValidationError("--checkpoint must be between 0 and 1e9 seconds (got \(checkpoint))")
        }
        if !(progressInterval >= 0 && progressInterval <= 1e9) {
            throw ValidationError("--progress-interval must be between 0 and 1e9 seconds (got \(progressInterval))")
        }
        _ = try parsedSplitBytes()
        if filesPerPass < 1 { throw ValidationError("--files-per-pass must be at least 1") }
        if ddof < 0 { throw ValidationError("--ddof must be >= 0 (got \(ddof))") }
        _ = try parseStatistics(ops)
        if resume && out == nil { throw ValidationError("--resume needs --out, the summary it continues") }
        if resume && force { throw ValidationError("give either --resume or --force, not both") }
        if let out { _ = try HDF5BatchSummaryFile.Format(path: out) }
        guard ["table", "csv", "json"].contains(format) else {
            throw ValidationError("--format must be table, csv or json (got '\(format)')")
        }
        guard ["streaming", "shared"].contains(strategy) else {
            throw ValidationError("--strategy must be streaming or shared (got '\(strategy)')")
        }
    }

    /// `--split-bytes` in bytes.
    func parsedSplitBytes() throws -> Int {
        do { return try SizeLimit(parsing: splitBytes).bytes } catch { throw ValidationError("--split-bytes: \(error)") }
    }

    func run() throws {
        if mpi { return try runAcrossRanks() }
        try checkOutput()
        signal(SIGXFSZ, SIG_IGN)  // a file size limit is an error to report, not a reason to die
        HDF5Transform.skipLibraryCleanupAtExit()
        let batch = try makeBatch()
        let pool = try workerOptions.makePool()
        defer { pool.shutdown() }
        let showProgress = !quiet && isTerminal(2)
        let summary: HDF5BatchSummary
        do {
            summary = try batch.run(on: pool, output: out, resume: resume) { progress in
                if showProgress { writeStandardError("\r\u{1B}[K" + progressLine(progress)) }
            }
        } catch {
            if showProgress { writeStandardError("\r\u{1B}[K") }
            throw CLIError(String(describing: error))
        }
        if showProgress { writeStandardError("\r\u{1B}[K") }
        try report(summary, workers: pool.workerCount)
    }

    /// Refuses an --out that is not a regular file, or one that exists without --resume or --force.
    func checkOutput() throws {
        if let out { try AtomicOutputFile.checkDestination(out) }  // not a regular file: refused, --force or not
        if let out, !resume, !force, fileExists(out) {
            throw CLIError("\(out) exists; pass --resume to continue that batch or --force to replace it")
        }
    }

    /// The batch the options describe.
    func makeBatch() throws -> HDF5Batch {
        var batch = HDF5Batch(
            inputs: inputs, datasets: dataset, statistics: try parseStatistics(ops), ddof: ddof)
        batch.strategy = strategy == "shared" ? .sharedArrays : .streaming
        batch.checkpointInterval = .milliseconds(Int64(checkpoint * 1000))
        batch.filesPerPass = filesPerPass
        batch.sizeLimit = try sizeLimitOptions.limit()
        batch.fileTimeout = timeoutOption.duration
        batch.decode = decodeOption.decode
        return batch
    }

    /// Prints the summary (without --out), the closing line and the failures; exit status 1 when any input failed.
    func report(_ summary: HDF5BatchSummary, workers: Int, ranks: Int? = nil) throws {
        if out == nil {
            switch format {
            case "csv": print(HDF5BatchSummaryFile.text(summary, format: .csv), terminator: "")
            case "json": print(HDF5BatchSummaryFile.text(summary, format: .json), terminator: "")
            default: print(batchTable(summary))
            }
        }
        if !quiet && (out != nil || format == "table") {
            if out == nil { print("") }
            print(closingLine(summary, workers: workers, ranks: ranks))
        }
        fflush(nil)
        let failures = summary.failures
        guard !failures.isEmpty else { return }
        let files = summary.failedFiles.count
        var lines = ["\(files) of \(summary.fileCount) file\(summary.fileCount == 1 ? "" : "s") failed:"]
        for failure in failures { lines.append("  " + failure.description) }
        writeStandardError(lines.joined(separator: "\n") + "\n")
        throw ExitCode(1)
    }

    private func closingLine(_ summary: HDF5BatchSummary, workers: Int, ranks: Int?) -> String {
        var parts: [String] = []
        if let out { parts.append("wrote \(out)") }
        let files = summary.fileCount
        parts.append("\(files) file\(files == 1 ? "" : "s")" + (summary.resumedFiles > 0 ? " (\(summary.resumedFiles) resumed)" : ""))
        let ok = summary.results.count
        parts.append("\(ok) dataset\(ok == 1 ? "" : "s")")
        let skipped = summary.records.filter { $0.status == .skipped }.count
        if skipped > 0 { parts.append("\(skipped) non-numeric skipped") }
        if !summary.failures.isEmpty { parts.append("\(summary.failures.count) failed") }
        let seconds = summary.elapsed.seconds
        parts.append("\(formatBytes(summary.bytesRead)) in \(formatMilliseconds(summary.elapsed)) ms")
        if seconds > 0, summary.bytesRead > 0 { parts.append("\(formatRate(Double(summary.bytesRead) / seconds))") }
        if let ranks { parts.append("\(ranks) rank\(ranks == 1 ? "" : "s")") }
        parts.append("\(workers) worker\(workers == 1 ? "" : "s")" + (ranks == nil ? "" : " each"))
        return parts.joined(separator: " · ")
    }
}

/// The results as a table: one row per dataset computed, columns file, dataset, dtype, shape, statistics.
func batchTable(_ summary: HDF5BatchSummary) -> String {
    let results = summary.results
    var rows: [[String]] = [["file", "dataset", "dtype", "shape"] + summary.statistics.map(\.rawValue)]
    for r in results {
        let shape = (r.shape ?? []).isEmpty ? "scalar" : r.shape!.map(String.init).joined(separator: "x")
        rows.append([r.file, r.dataset ?? "", r.dtype?.rawValue ?? "", shape]
            + summary.statistics.map { formatValue(r.statistics?[$0], integer: $0.isInteger) })
    }
    if results.isEmpty { return "no dataset was read" }
    let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
    return rows.map { row in
        zip(row, widths).enumerated().map { c, pair in c < 4 ? pair.0.padding(pair.1) : pair.0.leftPadding(pair.1) }
            .joined(separator: "  ").trimmingTrailingSpaces()
    }.joined(separator: "\n")
}

/// `batch  37/120 files · 1.2 GiB of 2.0 GiB · 812 MB/s · ETA 1.1 s · 1 failed`
func progressLine(_ p: HDF5BatchProgress) -> String {
    var parts = ["batch  \(p.filesDone)/\(p.filesTotal) files", "\(formatBytes(p.bytesDone)) of \(formatBytes(p.bytesTotal))"]
    if p.bytesPerSecond > 0 { parts.append(formatRate(p.bytesPerSecond)) }
    if let eta = p.remaining { parts.append("ETA \(formatSeconds(eta))") }
    if p.failures > 0 { parts.append("\(p.failures) failed") }
    return parts.joined(separator: " · ")
}

func formatRate(_ bytesPerSecond: Double) -> String {
    bytesPerSecond >= 1e9 ? "\(((bytesPerSecond / 1e8).rounded()) / 10) GB/s" : "\(Int((bytesPerSecond / 1e6).rounded())) MB/s"
}

func formatSeconds(_ d: Duration) -> String {
    let s = d.seconds
    if s < 60 { return "\((s * 10).rounded() / 10) s" }
    return "\(Int(s) / 60) min \(Int(s) % 60) s"
}

/// Parses `--ops` (default: the summary statistics).
func parseStatistics(_ ops: String?) throws -> [Statistic] {
    guard let ops else { return Statistic.summary }
    let names = ops.split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
    guard !names.isEmpty else { throw ValidationError("--ops is empty") }
    return try names.map { name in
        guard let s = Statistic(name: name) else {
            throw ValidationError(
                "unknown statistic '\(name)'; choose from \(Statistic.allCases.map(\.rawValue).joined(separator: ","))")
        }
        return s
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
