#if canImport(Glibc)
import Glibc
#endif
import SharedArrays

extension HDF5Batch {
    /// Splits the deferred datasets into pieces of whole chunks and reduces them across the workers.
    func reducePieces(
        _ deferred: [(file: Int, record: SlotRecord)], window: [BatchFile], pool: WorkerPool, tracker: ProgressTracker
    ) throws -> [(file: Int, record: HDF5BatchRecord)] {
        let needs = MomentNeeds(for: statistics)
        var entries: [DeferredDataset] = []
        var pieces: [DatasetPiece] = []
        var failed: [Int: String] = [:]
        var partialCount = 0
        for (d, item) in deferred.enumerated() {
            let dtype = item.record.dtype ?? .float64
            let count = item.record.info?.count ?? 0
            let plan = MomentStreaming.plan(count: count, dtype: dtype)
            // Streaming holds one partial per chunk: with a limit raised past memory, a dataset's partials
            // alone may not fit (2^59 elements are 2^44 chunks). That is a failed record, not a trap or a hang.
            let partialBytes = CheckedSize.product(plan.chunkCount, MemoryLayout<Moments>.stride)
            let memory = SharedMemory.availableMemory() ?? Int.max
            guard let partialBytes, partialBytes <= memory / 2 else {
                failed[d] = "declared shape \(item.record.info?.shape ?? []) needs \(plan.chunkCount) partial results "
                    + "(\(CheckedSize.describeBytes(shape: [plan.chunkCount], elementSize: MemoryLayout<Moments>.stride))), "
                    + "more than memory can hold"
                entries.append(DeferredDataset(file: JobString("")!, dataset: JobString("")!, dtype: dtype, plan: plan,
                                               partialBase: partialCount))
                continue
            }
            guard let file = JobString(window[item.file].path), let dataset = JobString(item.record.dataset) else {
                failed[d] = "path is too long"
                entries.append(DeferredDataset(file: JobString("")!, dataset: JobString("")!, dtype: dtype, plan: plan,
                                               partialBase: partialCount))
                continue
            }
            entries.append(DeferredDataset(file: file, dataset: dataset, dtype: dtype, plan: plan, partialBase: partialCount))
            partialCount += plan.chunkCount
            let perPiece = max(1, pieceBytes / max(1, plan.chunkLength * dtype.byteSize))
            var chunk = 0
            while chunk < plan.chunkCount {
                pieces.append(DatasetPiece(dataset: d, firstChunk: chunk, endChunk: min(plan.chunkCount, chunk + perPiece)))
                chunk += perPiece
            }
        }
        let datasetSegment = try SharedMemory(byteCount: max(1, entries.count) * MemoryLayout<DeferredDataset>.stride)
        let pieceSegment = try SharedMemory(byteCount: max(1, pieces.count) * MemoryLayout<DatasetPiece>.stride)
        let partialSegment = try SharedMemory(byteCount: max(1, partialCount) * MemoryLayout<Moments>.stride)
        let partialBase = partialSegment.base.assumingMemoryBound(to: Moments.self)
        for (i, entry) in entries.enumerated() { (datasetSegment.base.assumingMemoryBound(to: DeferredDataset.self) + i).initialize(to: entry) }
        for (i, piece) in pieces.enumerated() { (pieceSegment.base.assumingMemoryBound(to: DatasetPiece.self) + i).initialize(to: piece) }
        for i in 0..<partialCount { (partialBase + i).initialize(to: .empty) }
        // The share of its file's bytes each piece stands for, for progress.
        var piecesPerFile: [Int: Int] = [:]
        for piece in pieces { piecesPerFile[deferred[piece.dataset].file, default: 0] += 1 }
        func bytesOf(_ piece: DatasetPiece) -> Int {
            let file = deferred[piece.dataset].file
            return window[file].size / max(1, piecesPerFile[file] ?? 1)
        }
        let table = try ItemTable(count: pieces.count, arenaBytes: min(max(1, pieces.count), 1 << 14) * 512)
        let serial = WorkerReaderCache.nextSerial()
        try pool.runItems(
            table, items: pieces.indices.filter { failed[pieces[$0].dataset] == nil }, chunkSize: { _ in 1 },
            chunkTimeout: fileTimeout,
            describeChunk: { items in
                guard let first = items.first else { return "no piece" }
                let piece = pieces[first]
                return "\(window[deferred[piece.dataset].file].path):\(deferred[piece.dataset].record.dataset) chunks \(piece.firstChunk)..<\(piece.endChunk)"
            },
            job: { items in
                BatchPieceJob(
                    items: items, datasets: datasetSegment.reference, pieces: pieceSegment.reference,
                    partials: partialSegment.reference, needs: needs.rawValue, slabBytes: slabBytes, serial: serial, decode: decode)
            },
            whileWaiting: { tracker.live(files: 0, bytes: 0) },
            stillWanted: { failed[pieces[$0].dataset] == nil },
            settled: { item, record in
                let dataset = pieces[item].dataset
                tracker.commit(files: 0, bytes: bytesOf(pieces[item]))
                if record.state != .done, failed[dataset] == nil { failed[dataset] = table.message(of: item) }
            },
            lost: { item, record, cause in
                let dataset = pieces[item].dataset
                if failed[dataset] == nil { failed[dataset] = Self.lostMessage(cause, pid: record.pid, reading: "the dataset") }
            })
        tracker.live(files: 0, bytes: 0)
        let filesWithDeferred = Set(deferred.map(\.file))
        tracker.commit(files: filesWithDeferred.count, bytes: 0)

        return try deferred.enumerated().map { d, item in
            let file = window[item.file]
            var record = convert(item.record, file: file, kind: .failed)!
            if let message = failed[d] {
                record.message = message
                return (item.file, record)
            }
            let entry = entries[d]
            let parts = UnsafeMutableBufferPointer(start: partialBase + entry.partialBase, count: entry.plan.chunkCount)
            let moments = try MomentsReduction<Double>(needs: needs).combine(consuming: parts, width: 1)[0]
            record.status = .ok
            record.message = nil
            record.statistics = statistics(from: moments, dtype: entry.dtype, skippingMasked: item.record.masked)
            return (item.file, record)
        }
    }

    /// Loads each deferred dataset into shared memory and reduces it there (the ``Strategy/sharedArrays`` way).
    func reduceShared(
        _ deferred: [(file: Int, record: SlotRecord)], window: [BatchFile], pool: WorkerPool, tracker: ProgressTracker
    ) -> [(file: Int, record: HDF5BatchRecord)] {
        var remaining: [Int: Int] = [:]
        for item in deferred { remaining[item.file, default: 0] += 1 }
        return deferred.map { item in
            let file = window[item.file]
            var record = convert(item.record, file: file, kind: .failed)!
            do {
                let values: Statistics
                let (path, dataset, masked) = (file.path, item.record.dataset, item.record.masked)
                values = try WorkerPool.withTimeout(fileTimeout) {
                    switch item.record.dtype ?? .float64 {
                    case .float64: try sharedStatistics(Double.self, path, dataset, pool, skippingMasked: masked)
                    case .float32: try sharedStatistics(Float.self, path, dataset, pool, skippingMasked: masked)
                    case .int64: try sharedStatistics(Int64.self, path, dataset, pool)
                    default: try sharedStatistics(Int32.self, path, dataset, pool)
                    }
                }
                record.status = .ok
                record.message = nil
                record.statistics = values
            } catch {
                record.message = Self.message(error)
            }
            remaining[item.file]! -= 1
            if remaining[item.file] == 0 { tracker.commit(files: 1, bytes: file.size) }
            return (item.file, record)
        }
    }

    private func sharedStatistics<E: SharedElement>(
        _: E.Type, _ file: String, _ dataset: String, _ pool: WorkerPool, skippingMasked: Bool = false
    ) throws -> Statistics {
        let array = try SharedArray<E>.load(hdf5: file, dataset: dataset, decode: decode, limit: sizeLimit, on: pool)
        let computed = try array.statistics(statistics.map { $0.skippingMasked(skippingMasked) }, ddof: ddof)
        return Statistics(values: zip(statistics, computed.values).map { ($0, $1.1) }, count: computed.count)
    }

    /// A message without the file and dataset, for errors thrown by the shared-array path.
    private static func message(_ error: any Error) -> String {
        if let error = error as? WorkerPoolError, error.code == .chunkFailed, let message = error.message {
            // "FILE:/dataset: reason" from the worker: keep the reason.
            let scalars = Array(message.unicodeScalars)
            for i in 0..<max(0, scalars.count - 1) where scalars[i] == ":" && scalars[i + 1] == " " {
                var rest = ""
                rest.unicodeScalars.append(contentsOf: scalars[(i + 2)...])
                return rest
            }
            return message
        }
        return reason(error)
    }
}
