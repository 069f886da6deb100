import Multiprocessing

/// Shared-dictionary workloads: per-entry writes (`dict-set`) and reads (`dict-get`) on a
/// ``SharedDictionary`` holding `size` entries; the peer is Python's `Manager().dict()`
/// (Benchmarks/peers/dict_peers.py), which makes the same calls on the same keys.
enum DictionaryBench {
    /// Operations in each timed run, cycling over the entries (so small and large dictionaries are
    /// timed over the same number of calls).
    static let operations = 10_000

    static func prepare(_ workload: BenchWorkload, entries: Int) throws -> () throws -> Void {
        let (capacity, overflow) = entries.multipliedReportingOverflow(by: 256)
        guard !overflow else { throw CLIError("--size \(entries) is too many entries for a dictionary") }
        let dictionary = try SharedDictionary<Int>(byteCapacity: max(1 << 20, capacity))
        let keys = (0..<entries).map { "key-\($0)" }
        for (i, key) in keys.enumerated() { try dictionary.setValue(i, forKey: key) }
        switch workload {
        case .dictSet:
            return {
                for i in 0..<operations { try dictionary.setValue(i, forKey: keys[i % entries]) }
            }
        default:
            return {
                var total = 0
                for i in 0..<operations { total &+= try dictionary.value(forKey: keys[i % entries]) ?? 0 }
                guard total >= 0 else { throw CLIError("dict-get read a negative total \(total)") }
            }
        }
    }
}
