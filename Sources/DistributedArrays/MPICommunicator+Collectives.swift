#if MPI
import CMPI
#if canImport(Glibc)
import Glibc
#endif

extension MPICommunicator {
    /// Waits until every rank has called it, or throws after `timeout` (default ``timeout``).
    /// The corresponding C function is `MPI_Ibarrier`.
    public func barrier(timeout: Duration? = nil) throws {
        let deadline = ContinuousClock.now + (timeout ?? self.timeout)
        var request: MPI_Request? = cmpi_request_null()
        try Self.check(MPI_Ibarrier(world, &request), "MPI_Ibarrier")
        try wait(&request, "barrier", until: deadline)
    }

    /// Every rank's `bytes`, in rank order, at `root`; an empty array on the other ranks. Ranks may send
    /// different lengths. Throws after `timeout` (default ``timeout``) if some rank has not sent.
    /// The corresponding C functions are `MPI_Igather` (the lengths) and `MPI_Igatherv` (the bytes).
    public func gather(_ bytes: [UInt8], root: Int = 0, timeout: Duration? = nil) throws -> [[UInt8]] {
        let deadline = ContinuousClock.now + (timeout ?? self.timeout)
        try checkRoot(root, "gather")
        guard let length = Int32(exactly: bytes.count) else {
            throw DistributedError("gather: \(describe(rank: rank)) has \(bytes.count) bytes to send, more than MPI's \(Int32.max) in one message")
        }
        // Buffers a request still pending after a timeout may write to are never freed (the job aborts).
        let lengths = UnsafeMutablePointer<Int32>.allocate(capacity: size)
        lengths.initialize(repeating: 0, count: size)
        var send = [length]
        var request: MPI_Request? = cmpi_request_null()
        try send.withUnsafeMutableBytes { raw in
            try Self.check(MPI_Igather(raw.baseAddress, 1, cmpi_int(), lengths, 1, cmpi_int(), Int32(root), world, &request), "MPI_Igather")
            try wait(&request, "gather of lengths", until: deadline)
        }
        var displacements = [Int32](repeating: 0, count: size)
        var total = 0
        if rank == root {
            for r in 0..<size {
                guard let start = Int32(exactly: total) else {
                    throw DistributedError("gather: the ranks send \(total)+ bytes in all, more than MPI's \(Int32.max) in one gather")
                }
                displacements[r] = start
                total += Int(lengths[r])
            }
            guard Int32(exactly: total) != nil else {
                throw DistributedError("gather: the ranks send \(total) bytes in all, more than MPI's \(Int32.max) in one gather")
            }
        }
        let received = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, total), alignment: 16)
        var outgoing = bytes
        try outgoing.withUnsafeMutableBytes { raw in
            try displacements.withUnsafeMutableBufferPointer { starts in
                try Self.check(
                    MPI_Igatherv(raw.baseAddress, length, cmpi_byte(), received, lengths, starts.baseAddress, cmpi_byte(), Int32(root), world, &request),
                    "MPI_Igatherv")
                try wait(&request, "gather", until: deadline)
            }
        }
        defer {
            received.deallocate()
            lengths.deallocate()
        }
        guard rank == root else { return [] }
        return (0..<size).map { r in
            Array(UnsafeRawBufferPointer(start: received + Int(displacements[r]), count: Int(lengths[r])))
        }
    }

    /// `root`'s `bytes` on every rank (the argument is ignored on the others). Throws after `timeout`
    /// (default ``timeout``). The corresponding C function is `MPI_Ibcast`.
    public func broadcast(_ bytes: [UInt8], root: Int = 0, timeout: Duration? = nil) throws -> [UInt8] {
        let deadline = ContinuousClock.now + (timeout ?? self.timeout)
        try checkRoot(root, "broadcast")
        let header = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
        header.initialize(to: Int64(bytes.count))
        var request: MPI_Request? = cmpi_request_null()
        try Self.check(MPI_Ibcast(header, 1, cmpi_int64(), Int32(root), world, &request), "MPI_Ibcast")
        try wait(&request, "broadcast of the length", until: deadline)
        let count = Int(header.pointee)
        header.deallocate()
        guard count >= 0, let length = Int32(exactly: count) else {
            throw DistributedError("broadcast: \(count) bytes is not a length MPI sends in one message")
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, count), alignment: 16)
        if rank == root { bytes.withUnsafeBytes { if let base = $0.baseAddress { buffer.copyMemory(from: base, byteCount: count) } } }
        try Self.check(MPI_Ibcast(buffer, length, cmpi_byte(), Int32(root), world, &request), "MPI_Ibcast")
        try wait(&request, "broadcast", until: deadline)
        defer { buffer.deallocate() }
        return Array(UnsafeRawBufferPointer(start: buffer, count: count))
    }

    /// Every rank sends `messages[r]` to rank `r` (its own included) and receives, in rank order, what each
    /// rank sent it: a shuffle, such as values going to the rank that owns their group. Throws after `timeout`
    /// (default ``timeout``). The corresponding C functions are `MPI_Ialltoall` (the lengths) and
    /// `MPI_Ialltoallv` (the bytes).
    public func allToAll(_ messages: [[UInt8]], timeout: Duration? = nil) throws -> [[UInt8]] {
        let deadline = ContinuousClock.now + (timeout ?? self.timeout)
        guard messages.count == size else {
            throw DistributedError("allToAll: \(messages.count) messages for \(size) ranks")
        }
        var sendCounts = [Int32](repeating: 0, count: size), sendStarts = [Int32](repeating: 0, count: size)
        var outgoing: [UInt8] = []
        for (r, message) in messages.enumerated() {
            guard let start = Int32(exactly: outgoing.count), let count = Int32(exactly: message.count),
                  Int32(exactly: outgoing.count + message.count) != nil else {
                throw DistributedError("allToAll: \(describe(rank: rank)) has more than MPI's \(Int32.max) bytes to send in one exchange")
            }
            sendStarts[r] = start
            sendCounts[r] = count
            outgoing += message
        }
        // Buffers a request still pending after a timeout may write to are never freed (the job aborts).
        let receiveCounts = UnsafeMutablePointer<Int32>.allocate(capacity: size)
        receiveCounts.initialize(repeating: 0, count: size)
        var request: MPI_Request? = cmpi_request_null()
        try sendCounts.withUnsafeMutableBufferPointer { counts in
            try Self.check(MPI_Ialltoall(counts.baseAddress, 1, cmpi_int(), receiveCounts, 1, cmpi_int(), world, &request), "MPI_Ialltoall")
            try wait(&request, "exchange of lengths", until: deadline)
        }
        var receiveStarts = [Int32](repeating: 0, count: size)
        var total = 0
        for r in 0..<size {
            guard receiveCounts[r] >= 0, let start = Int32(exactly: total) else {
                throw DistributedError("allToAll: \(describe(rank: rank)) would receive more than MPI's \(Int32.max) bytes in one exchange")
            }
            receiveStarts[r] = start
            total += Int(receiveCounts[r])
        }
        guard Int32(exactly: total) != nil else {
            throw DistributedError("allToAll: \(describe(rank: rank)) would receive \(total) bytes, more than MPI's \(Int32.max) in one exchange")
        }
        let received = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, total), alignment: 16)
        defer {
            received.deallocate()
            receiveCounts.deallocate()
        }
        try outgoing.withUnsafeMutableBytes { raw in
            try sendCounts.withUnsafeMutableBufferPointer { counts in
                try sendStarts.withUnsafeMutableBufferPointer { starts in
                    try receiveStarts.withUnsafeMutableBufferPointer { receiveAt in
                        try Self.check(
                            MPI_Ialltoallv(
                                raw.baseAddress, counts.baseAddress, starts.baseAddress, cmpi_byte(), received, receiveCounts,
                                receiveAt.baseAddress, cmpi_byte(), world, &request),
                            "MPI_Ialltoallv")
                        try wait(&request, "exchange", until: deadline)
                    }
                }
            }
        }
        return (0..<size).map { r in Array(UnsafeRawBufferPointer(start: received + Int(receiveStarts[r]), count: Int(receiveCounts[r]))) }
    }

    func checkRoot(_ root: Int, _ operation: String) throws {
        guard (0..<size).contains(root) else { throw DistributedError("\(operation): root \(root) is not a rank (0..<\(size))") }
    }

    /// Polls `request` with `MPI_Test` until it completes or `deadline` passes (sleeping 20 us, doubling up
    /// to 1 ms, so a rank waiting for a slow one does not take a core from its own workers).
    func wait(_ request: inout MPI_Request?, _ operation: String, until deadline: ContinuousClock.Instant) throws {
        var done: Int32 = 0
        var pause: UInt32 = 20
        while true {
            try Self.check(MPI_Test(&request, &done, cmpi_status_ignore()), "MPI_Test (\(operation))")
            if done != 0 { return }
            if ContinuousClock.now >= deadline {
                throw DistributedError("\(operation): \(describe(rank: rank)) waited longer than the timeout for the other ranks of \(size) (one may have died or hung)")
            }
            usleep(pause)
            pause = Swift.min(pause * 2, 1000)
        }
    }
}
#endif
