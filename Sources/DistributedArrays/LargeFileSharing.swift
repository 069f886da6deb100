#if MPI
import HDF5Arrays
import Multiprocessing
import SharedArrays

/// The first phase of a ``DistributedBatch``: files at least `splitBytes` large are read by every rank
/// together, so that one large dataset does not keep one rank busy while the others wait. For each such
/// file, rank 0 scans it (small datasets, skips and failures as a batch records them) and tells every rank
/// which large datasets it holds; each rank reduces its run of each large dataset's chunk grid
/// (``HDF5Arrays/HDF5Batch/sharePartials(of:in:chunks:on:)``) and sends the subtrees of the pairwise tree
/// inside its run; rank 0 finishes the tree, so the record equals the one a single-node batch writes.
/// A dataset a rank cannot read is a failed record (the first message in rank order), as on one node.
enum LargeFileSharing {
    /// What rank 0 tells every rank about one large file: its large datasets, or why the batch stops.
    struct FileMessage: Codable {
        var datasets: [HDF5BatchSharedDataset]
        var error: String?
    }

    /// Reduces `file` with every rank: at rank 0 its records, nil elsewhere.
    /// - Throws: at rank 0 a ``RankFailure`` when its pool cannot scan (the other ranks then throw a quiet
    ///   ``DistributedFailure``); errors of the collectives (the ranks are then out of step).
    static func share(
        _ file: HDF5BatchFile, batch: HDF5Batch, pool: WorkerPool, world: MPICommunicator
    ) throws -> [HDF5BatchRecord]? {
        var scanned: HDF5BatchFileScan?
        var message = FileMessage(datasets: [], error: nil)
        if world.rank == 0 {
            do {
                scanned = try batch.scanForSharing(file, on: pool)
                message.datasets = scanned?.shared ?? []
            } catch {
                message.error = "\(world.describe(rank: 0)): \(error)"
            }
        }
        let told = try BatchMessage.decode(FileMessage.self, try world.broadcast(try BatchMessage.encode(message)), from: 0)
        if let error = told.error {
            if world.rank == 0 { throw RankFailure(rank: 0, message: error) }
            throw DistributedFailure(reportedBy: 0)
        }
        let reduction = MomentsReduction<Double>(needs: MomentNeeds(for: batch.statistics))
        var outcomes: [Result<Moments, HDF5BatchShareFailure>] = []
        for dataset in told.datasets {
            let grid = dataset.plan
            // [0] + this rank's subtrees, or [1] + why it could not read its run.
            var payload: [UInt8]
            do {
                let mine = try grid.share(world.rank, of: world.size)
                let partials = try batch.sharePartials(of: dataset, in: file, chunks: mine, on: pool)
                payload = [0] + (try DistributedReduction.subtreePayload(reduction, partials: partials, run: mine, chunkCount: grid.chunkCount, width: 1))
            } catch let failure as HDF5BatchShareFailure {
                payload = [1] + Array(failure.message.utf8)
            } catch {
                payload = [1] + Array("\(world.describe(rank: world.rank)): \(error)".utf8)
            }
            let gathered = try world.gather(payload)
            guard world.rank == 0 else { continue }
            if let failed = gathered.first(where: { $0.first != 0 }) {
                outcomes.append(.failure(HDF5BatchShareFailure(String(decoding: failed.dropFirst(), as: UTF8.self))))
            } else {
                let moments = try DistributedReduction.finishSubtrees(
                    reduction, payloads: gathered.map { Array($0.dropFirst()) }, chunkCount: grid.chunkCount, width: 1)
                outcomes.append(.success(moments[0]))
            }
        }
        guard let scanned else { return nil }
        return batch.records(of: scanned, completing: outcomes)
    }
}
#endif
