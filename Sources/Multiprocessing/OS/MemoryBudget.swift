/// How much memory new work may use now: the smaller of what the kernel says is available
/// (`MemAvailable` in `/proc/meminfo`) and what this process's cgroup still allows (cgroup v2
/// `memory.max - memory.current`, or v1 `memory.limit_in_bytes - memory.usage_in_bytes`).
///
/// ```swift
/// let budget = MemoryBudget.available ?? (1 << 30)
/// ```
public enum MemoryBudget {
    /// Bytes new allocations may take now, nil when neither source can be read.
    public static var available: Int? {
        let candidates = [SharedMemory.availableMemory(), cgroupRemaining]
        return candidates.compactMap { $0 }.min()
    }

    /// Bytes the cgroup of this process may still charge, nil without a limit (or when unreadable).
    public static var cgroupRemaining: Int? {
        if let limit = number(in: "/sys/fs/cgroup/memory.max"), let used = number(in: "/sys/fs/cgroup/memory.current") {
            return Swift.max(0, limit - used)
        }
        if let limit = number(in: "/sys/fs/cgroup/memory/memory.limit_in_bytes"),
           let used = number(in: "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
           limit < Int.max / 2 {  // v1 reports "no limit" as a huge number
            return Swift.max(0, limit - used)
        }
        return nil
    }

    /// The decimal number a cgroup file holds; nil for "max", a missing file or anything else.
    private static func number(in path: String) -> Int? {
        guard let bytes = try? FileSystem.contents(of: path) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingNewlines
        return Int(text)
    }
}

extension String {
    fileprivate var trimmingNewlines: Substring {
        var s = Substring(self)
        while let c = s.last, c == "\n" || c == " " { s = s.dropLast() }
        return s
    }
}
