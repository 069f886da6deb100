#if MPI
import Multiprocessing
import SharedArrays

extension DistributedReduction {
    /// Medians, quantiles and percentiles of every element of the dataset `source` opens (flat), read as
    /// `Element`, across the ranks of `world`: at rank 0 the values ``SharedArrays/SharedArray/orderStatistics(_:method:timeout:)``
    /// gives on one node, bit for bit (the same selection code runs: ``SharedArrays/OrderStatistic/evaluate(_:method:of:)``);
    /// nil on the other ranks.
    ///
    /// Each rank holds its share of the chunk grid (mapped from a native `.npy` file, else read into shared
    /// memory: 1/N of the data per node). Rank 0 drives the selection: each histogram pass is every rank
    /// counting its share's keys (65,536 counts each, added exactly at rank 0), each gather pass every rank
    /// sending the keys of the chosen digits. Digits are narrowed until at most 2^18 keys are gathered at
    /// once, so rank 0 never receives more than 2 MiB of keys per pass, whatever the data's size.
    public static func orderStatistics<Element: SharedElement, S: StreamSource>(
        _ statistics: [OrderStatistic], method: QuantileMethod = .linear, of source: () throws -> S, as _: Element.Type,
        limit: SizeLimit = .default, on pool: WorkerPool, world: MPICommunicator, timeout: Duration? = nil
    ) throws -> [Double]? {
        var share: SharedArray<Element>?
        var count = 0
        let local = Result<[UInt8], any Error> {
            let opened = try source()
            count = opened.count
            guard count > 0 else { throw ArrayError(.invalidArgument, operation: "order statistics", input: "array", "the array is empty") }
            let grid = StreamedReduction.grid(of: opened, as: Element.self)
            share = try StreamedReduction.load(opened, as: Element.self, chunks: try grid.share(world.rank, of: world.size), limit: limit, on: pool)
            return []
        }
        _ = try RankOutcome.settle(local, on: world, timeout: timeout)
        guard let share else { throw DistributedError("the share was not loaded") }
        let passes = RankKeyPasses(share: share, count: count, world: world, timeout: timeout)
        guard world.rank == 0 else {
            try passes.follow()
            return nil
        }
        let values = Result { try OrderStatistic.evaluate(statistics, method: method, of: passes) }
        try passes.finish(failed: (try? values.get()) == nil)
        switch values {
        case .success(let values): return values
        case .failure(let error as RankFailure): throw error
        case .failure(let error): throw RankFailure(rank: 0, message: "\(world.describe(rank: 0)): \(error)")
        }
    }
}

/// The passes of an order statistic across the ranks: rank 0 runs the selection and, for each pass, tells
/// every rank what to do (a broadcast), does its own share and collects theirs (a gather); the other ranks
/// ``follow()`` until rank 0 ``finish(failed:)``es.
final class RankKeyPasses<Element: SharedElement>: OrderKeySource {
    private let share: SharedArray<Element>
    let count: Int
    private let world: MPICommunicator
    private let timeout: Duration?
    /// This rank's counts per (prefix bits, prefix), for the size of its part of a gather.
    private var localCounts: [UInt64: [Int64]] = [:]

    private enum Command: UInt8 { case done = 0, histogram = 1, gather = 2, failed = 3 }

    init(share: SharedArray<Element>, count: Int, world: MPICommunicator, timeout: Duration?) {
        self.share = share
        self.count = count
        self.world = world
        self.timeout = timeout
    }

    /// At most this many keys travel to rank 0 in one gather (2 MiB).
    var gatherLimit: Int { 1 << 16 }
    var gatherTotalLimit: Int { 1 << 18 }

    func keyHistogram(prefixBits: Int, prefix: UInt64) throws -> [Int64] {
        let parts = try run([Command.histogram.rawValue] + PartialBytes.encode([Int64(prefixBits), Int64(bitPattern: prefix)]))
        var total = [Int64](repeating: 0, count: 1 << 16)
        for (r, bytes) in parts.enumerated() {
            let counts = try PartialBytes.decode(bytes, as: Int64.self, from: r)
            guard counts.count == total.count else { throw DistributedError("rank \(r) sent \(counts.count) counts, not \(total.count)") }
            for i in total.indices { total[i] &+= counts[i] }
        }
        return total
    }

    func gatherKeys(prefixBits: Int, prefix: UInt64, digits: [Int], capacity: Int) throws -> [UInt64] {
        let parts = try run(
            [Command.gather.rawValue] + PartialBytes.encode([Int64(prefixBits), Int64(bitPattern: prefix)] + digits.map { Int64($0) }))
        var keys: [UInt64] = []
        keys.reserveCapacity(capacity)
        for (r, bytes) in parts.enumerated() { keys += try PartialBytes.decode(bytes, as: UInt64.self, from: r) }
        guard keys.count == capacity else {
            throw DistributedError("the ranks sent \(keys.count) keys where their histograms counted \(capacity)")
        }
        return keys
    }

    /// Rank 0: tells every rank to do `command`, does it on its own share, and returns every rank's answer
    /// in rank order (a rank's failure is thrown, naming it).
    private func run(_ command: [UInt8]) throws -> [[UInt8]] {
        _ = try world.broadcast(command, timeout: timeout)
        let answers = try world.gather(answer(command), timeout: timeout)
        for (r, bytes) in answers.enumerated() where bytes.first != 0 {
            throw RankFailure(rank: r, message: String(decoding: bytes.dropFirst(), as: UTF8.self))
        }
        return answers.map { Array($0.dropFirst()) }
    }

    /// This rank's answer to `command`: `[0]` and its counts or keys, or `[1]` and why it failed.
    private func answer(_ command: [UInt8]) -> [UInt8] {
        do {
            let words = try PartialBytes.decode(Array(command.dropFirst()), as: Int64.self, from: 0)
            guard words.count >= 2, (0...48).contains(words[0]), words[0] % 16 == 0 else { throw DistributedError("rank 0 sent a malformed pass") }
            let prefixBits = Int(words[0])
            let prefix = UInt64(bitPattern: words[1])
            let key = UInt64(prefixBits) << 58 ^ prefix
            if command.first == Command.histogram.rawValue {
                let counts = try share.count == 0 ? [Int64](repeating: 0, count: 1 << 16) : share.keyHistogram(prefixBits: prefixBits, prefix: prefix)
                localCounts[key] = counts
                return [0] + PartialBytes.encode(counts)
            }
            let digits = words.dropFirst(2).map { Int($0) }
            guard let counts = localCounts[key], digits.allSatisfy({ (0..<counts.count).contains($0) }) else {
                throw DistributedError("rank 0 asked for keys of a pass this rank did not count")
            }
            let mine = digits.reduce(0) { $0 + Int(counts[$1]) }
            let keys = mine == 0 ? [] : try share.gatherKeys(prefixBits: prefixBits, prefix: prefix, digits: digits, capacity: mine)
            return [0] + PartialBytes.encode(keys)
        } catch {
            return [1] + Array("\(world.describe(rank: world.rank)): \(error)".utf8)
        }
    }

    /// A rank other than 0: answers rank 0's passes until it says the selection is over.
    /// - Throws: a quiet ``DistributedFailure`` when rank 0 reports that the selection failed.
    func follow() throws {
        while true {
            let command = try world.broadcast([], timeout: timeout)
            switch command.first.flatMap(Command.init(rawValue:)) {
            case .done: return
            case .failed: throw DistributedFailure(reportedBy: 0)
            case .histogram, .gather: _ = try world.gather(answer(command), timeout: timeout)
            case nil: throw DistributedError("rank 0 sent an unknown order-statistics command")
            }
        }
    }

    /// Rank 0: tells every rank the selection is over (and whether it failed).
    func finish(failed: Bool) throws {
        _ = try world.broadcast([failed ? Command.failed.rawValue : Command.done.rawValue], timeout: timeout)
    }
}
#endif
