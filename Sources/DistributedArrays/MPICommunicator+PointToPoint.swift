#if MPI
import CMPI
#if canImport(Glibc)
import Glibc
#endif

extension MPICommunicator {
    /// Sends `bytes` to rank `destination` as a message with `tag`, and returns once MPI is done with them
    /// (the receiver may not have taken the message yet). Throws after `timeout` (default ``timeout``).
    /// The corresponding C function is `MPI_Isend`.
    public func send(_ bytes: [UInt8], to destination: Int, tag: Int, timeout: Duration? = nil) throws {
        let deadline = ContinuousClock.now + (timeout ?? self.timeout)
        try checkPeer(destination, "send")
        guard let length = Int32(exactly: bytes.count), let tag = Int32(exactly: tag), tag >= 0 else {
            throw DistributedError("send: \(bytes.count) bytes with tag \(tag) is not a message MPI sends in one piece")
        }
        // A request still pending after a timeout may read the buffer: it is then never freed (the job aborts).
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, bytes.count), alignment: 16)
        bytes.withUnsafeBytes { if let base = $0.baseAddress { buffer.copyMemory(from: base, byteCount: bytes.count) } }
        var request: MPI_Request? = cmpi_request_null()
        try Self.check(MPI_Isend(buffer, length, cmpi_byte(), Int32(destination), tag, world, &request), "MPI_Isend")
        try wait(&request, "send to \(describe(rank: destination))", until: deadline)
        buffer.deallocate()
    }

    /// A message with `tag` from `source` (nil: any rank) if one has arrived, else nil at once: the rank it
    /// came from and its bytes. Taking an arrived message throws after `timeout` (default ``timeout``).
    /// The corresponding C functions are `MPI_Iprobe`, `MPI_Get_count` and `MPI_Irecv`.
    public func receiveIfArrived(tag: Int, from source: Int? = nil, timeout: Duration? = nil) throws -> (source: Int, bytes: [UInt8])? {
        let deadline = ContinuousClock.now + (timeout ?? self.timeout)
        if let source { try checkPeer(source, "receive") }
        guard let tag = Int32(exactly: tag), tag >= 0 else { throw DistributedError("receive: tag \(tag) is not an MPI tag") }
        var status = MPI_Status()
        var arrived: Int32 = 0
        try Self.check(MPI_Iprobe(source.map { Int32($0) } ?? cmpi_any_source(), tag, world, &arrived, &status), "MPI_Iprobe")
        guard arrived != 0 else { return nil }
        let sender = cmpi_status_source(&status)
        var count: Int32 = 0
        try Self.check(MPI_Get_count(&status, cmpi_byte(), &count), "MPI_Get_count")
        guard count >= 0 else { throw DistributedError("receive: \(describe(rank: Int(sender))) sent a message of unknown length") }
        // A request still pending after a timeout may write to the buffer: it is then never freed (the job aborts).
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, Int(count)), alignment: 16)
        var request: MPI_Request? = cmpi_request_null()
        // Messages from one rank with one tag arrive in order, so this takes the message just probed.
        try Self.check(MPI_Irecv(buffer, count, cmpi_byte(), sender, tag, world, &request), "MPI_Irecv")
        try wait(&request, "receive from \(describe(rank: Int(sender)))", until: deadline)
        defer { buffer.deallocate() }
        return (Int(sender), Array(UnsafeRawBufferPointer(start: buffer, count: Int(count))))
    }

    /// Waits for a message with `tag` from `source` (nil: any rank): the rank it came from and its bytes.
    /// Throws after `timeout` (default ``timeout``), naming the rank waited for.
    public func receive(tag: Int, from source: Int? = nil, timeout: Duration? = nil) throws -> (source: Int, bytes: [UInt8]) {
        let limit = timeout ?? self.timeout
        let deadline = ContinuousClock.now + limit
        var pause: UInt32 = 20
        while true {
            if let message = try receiveIfArrived(tag: tag, from: source, timeout: limit) { return message }
            if ContinuousClock.now >= deadline {
                let whom = source.map { describe(rank: $0) } ?? "any rank"
                throw DistributedError("\(describe(rank: rank)) waited longer than the timeout (\(limit)) for a message from \(whom) (it may have died or hung)")
            }
            usleep(pause)
            pause = Swift.min(pause * 2, 1000)
        }
    }

    func checkPeer(_ other: Int, _ operation: String) throws {
        guard (0..<size).contains(other), other != rank else {
            throw DistributedError("\(operation): \(other) is not another rank (this is rank \(rank) of \(size))")
        }
    }
}
#endif
