#if canImport(Glibc)
import Glibc
#endif
import CHDF5
import SharedArrays

/// The first pass of a batch, one chunk per file: a worker opens the file (after the fork, as HDF5
/// requires), lists and selects its datasets, computes the statistics of every selected dataset small
/// enough to do in one piece, and leaves the rest (`deferred`) for ``BatchPieceJob`` to split across
/// the workers. Every failure becomes a record in the file's item of the ``ItemTable`` (its payload):
/// a chunk never throws, so one bad file cannot stop the others. A worker that crashes inside HDF5 on a
/// damaged file fails only that file (the table runs the remaining files again).
struct BatchScanJob: WorkerJob {
    /// One item per file of the window; an item's payload is its encoded ``SlotRecord``s, flag 1 when one is deferred.
    var items: ItemTableReference
    /// `[JobString]`: the window's file paths, one per item.
    var files: SegmentReference
    /// `[JobString]`: the selector patterns.
    var patterns: SegmentReference
    var patternCount: Int
    var needs: UInt8
    /// Datasets up to this many bytes (in the compute type) are done here; larger ones are deferred.
    /// Negative: defer every numeric dataset.
    var smallLimit: Int
    var slabBytes: Int
    /// The admission bound (``SizeLimit``) in bytes of the compute type: a larger dataset is a failed record.
    var maxBytes: Int
    /// Apply CF attributes (``CFDecoding``).
    var decode = true

    static func run(_ job: BatchScanJob, chunk: Int, context: WorkerContext) throws {
        let paths = try context.address(of: job.files).assumingMemoryBound(to: JobString.self)
        let patternBase = try context.address(of: job.patterns).assumingMemoryBound(to: JobString.self)
        let selectors = (0..<job.patternCount).map { HDF5DatasetSelector(patternBase[$0].string) }
        let table = try job.items.open(in: context)
        table.forEachItem(inChunk: chunk) { item in
            table.begin(item)
            var scanner = FileScanner(
                path: paths[item].string, selectors: selectors, needs: MomentNeeds(rawValue: job.needs),
                smallLimit: job.smallLimit, slabBytes: job.slabBytes, limit: SizeLimit(bytes: job.maxBytes),
                decode: job.decode)
            scanner.scan()
            scanner.records.bytes.withUnsafeBytes { _ = table.complete(item, payload: $0, flags: scanner.hasDeferred ? 1 : 0) }
        }
        table.finishChunk(chunk)
    }
}

/// Selects and reduces the datasets of one file inside a worker, collecting its records.
struct FileScanner {
    let path: String
    let selectors: [HDF5DatasetSelector]
    let needs: MomentNeeds
    let smallLimit: Int
    let slabBytes: Int
    let limit: SizeLimit
    var records = ByteWriter()
    var hasDeferred = false
    var decode = true

    private mutating func emit(_ record: SlotRecord) {
        if record.kind == .deferred { hasDeferred = true }
        record.encode(into: &records)
    }

    mutating func scan() {
        HDF5.prepare()
        // Fault injection for tests: a crash inside HDF5 on a damaged file must fail only that file.
        if let crash = CurrentProcess.environment("MPROC_TEST_CRASH_ON"), path.hasSuffix(crash) { CurrentProcess.killImmediately() }
        let fileID: hid_t
        do {
            fileID = try HDF5.openFile(path)
        } catch {
            emit(SlotRecord(kind: .fileFailed, dataset: "", pattern: "", message: reason(error)))
            return
        }
        defer { H5Fclose(fileID) }
        var names: [String]? = nil
        var chosen: [(dataset: String, selector: HDF5DatasetSelector)] = []
        var seen = Set<String>()
        for selector in selectors {
            guard selector.isGlob else {
                if seen.insert(selector.pattern).inserted { chosen.append((selector.pattern, selector)) }
                continue
            }
            if names == nil {
                do {
                    names = try HDF5.datasetNames(file: fileID).sorted()
                } catch {
                    let detail = (error as? HDF5.VisitError)?.message ?? reason(error)
                    emit(SlotRecord(kind: .fileFailed, dataset: "", pattern: selector.pattern,
                                    message: "cannot list the datasets: \(detail.isEmpty ? "the file is damaged" : detail)"))
                    return
                }
            }
            let matched = names!.filter(selector.matches)
            if matched.isEmpty {
                let count = names!.count
                emit(SlotRecord(kind: .failed, dataset: selector.pattern, pattern: selector.pattern,
                                message: "no dataset matches '\(selector.pattern)' (the file has \(count) dataset\(count == 1 ? "" : "s"))"))
            }
            for name in matched where seen.insert(name).inserted { chosen.append((name, selector)) }
        }
        var numericPerGlob: [String: Int] = [:]
        var skippedPerGlob: [String: [String]] = [:]
        for (dataset, selector) in chosen {
            let kind = process(fileID: fileID, dataset: dataset, selector: selector)
            if selector.isGlob {
                if kind == .skipped { skippedPerGlob[selector.pattern, default: []].append(dataset) }
                else { numericPerGlob[selector.pattern, default: 0] += 1 }
            }
        }
        for (pattern, skipped) in skippedPerGlob.sorted(by: { $0.key < $1.key }) where numericPerGlob[pattern, default: 0] == 0 {
            let shown = skipped.prefix(4).joined(separator: ", ") + (skipped.count > 4 ? ", ..." : "")
            emit(SlotRecord(kind: .failed, dataset: pattern, pattern: pattern,
                            message: "no numeric dataset matches '\(pattern)' (matched only \(shown), which do not hold numbers)"))
        }
    }

    /// Records one dataset; returns the kind of record written.
    private mutating func process(fileID: hid_t, dataset: String, selector: HDF5DatasetSelector) -> SlotRecord.Kind {
        var info: HDF5DatasetInfo
        var decoding: CFDecoding?
        var dimensionOnly = false
        do {
            let id = try HDF5.openDataset(file: fileID, path: path, dataset: dataset)
            defer { H5Dclose(id) }
            info = try HDF5.info(dataset: id, name: HDF5.normalized(dataset), path: path)
            decoding = try decodingRule(dataset: id, fileID: fileID, info: &info)
            dimensionOnly = selector.isGlob && HDF5.isNetCDFDimensionOnly(id)
        } catch {
            emit(SlotRecord(kind: .failed, dataset: dataset, pattern: selector.pattern, message: reason(error)))
            return .failed
        }
        if dimensionOnly {
            emit(SlotRecord(kind: .skipped, dataset: info.path, pattern: selector.pattern,
                            message: "a netCDF dimension without a variable: it holds no data", info: info))
            return .skipped
        }
        guard let stored = info.dtype else {
            if selector.isGlob {
                emit(SlotRecord(kind: .skipped, dataset: info.path, pattern: selector.pattern,
                                message: "type \(info.typeDescription) is not a number", info: info))
                return .skipped
            }
            // A batch reads whole datasets: a compound's fields are named, and where one can be read.
            let message = info.fields.isEmpty
                ? info.notNumericReason ?? ""
                : "dataset is a compound (table) with fields \(info.fieldList), not a number; the batch reads no fields (mproc stats FILE:\(info.path) --field NAME reads one)"
            emit(SlotRecord(kind: .failed, dataset: info.path, pattern: selector.pattern, message: message, info: info))
            return .failed
        }
        let dtype = decoding?.unpackedDType ?? MomentStreaming.computeType(for: stored)
        let masked = decoding?.masks ?? false
        // The admission rule, on the declared extent, before any read: a 2 KB file may declare 2^62
        // never-written elements, whose fill values would stream for hours.
        guard let bytes = limit.admittedBytes(shape: info.shape, elementSize: dtype.byteSize) else {
            emit(SlotRecord(kind: .failed, dataset: info.path, pattern: selector.pattern,
                            message: limit.refusal(shape: info.shape, dtype: dtype), info: info, dtype: dtype))
            return .failed
        }
        if smallLimit < 0 || bytes > smallLimit {
            emit(SlotRecord(kind: .deferred, dataset: info.path, pattern: selector.pattern, info: info, dtype: dtype,
                            masked: masked))
            return .deferred
        }
        do {
            let reader = try openDatasetReader(file: path, dataset: info.path, computeType: dtype, decoding: decoding)
            defer { reader.close() }
            let moments = try MomentStreaming.wholeDataset(reader, dtype: dtype, needs: needs, slabBytes: slabBytes)
            emit(SlotRecord(kind: .ok, dataset: info.path, pattern: selector.pattern, info: info, dtype: dtype,
                            moments: moments, masked: masked))
            return .ok
        } catch {
            emit(SlotRecord(kind: .failed, dataset: info.path, pattern: selector.pattern, message: reason(error),
                            info: info, dtype: dtype))
            return .failed
        }
    }
}

/// An error's reason without the file and dataset (the record carries those).
func reason(_ error: any Error) -> String {
    if let error = error as? ArrayIOError { return error.reason }
    return String(describing: error)
}
