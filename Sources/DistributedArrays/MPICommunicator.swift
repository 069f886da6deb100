#if MPI
import CMPI
#if canImport(Glibc)
import Glibc
#endif

/// The ranks of an MPI job (`MPI_COMM_WORLD`): who this process is, how many there are, and the few
/// collectives a distributed reduction needs, each bounded by a timeout.
///
/// Create it **after** the local ``WorkerPool`` (its workers are forked; forking after `MPI_Init` is unsafe
/// with Open MPI). MPI errors return to the caller (`MPI_ERRORS_RETURN`) and become ``DistributedError``s;
/// collectives are nonblocking calls polled until a deadline, so a rank that died or hangs ends in an error
/// instead of a wait without end. After an error in a collective the job cannot go on: call ``abort(_:)``,
/// which ends every rank. After a run every rank calls ``finalize()``.
///
/// ```swift
/// let pool = try WorkerPool(workers: 2)
/// let world = try MPICommunicator()
/// let payloads = try world.gather(myBytes)   // rank 0: every rank's bytes, in rank order
/// world.finalize()
/// ```
public final class MPICommunicator {
    /// This process's rank, 0..<``size``.
    public let rank: Int
    /// Ranks in the job.
    public let size: Int
    /// The name of the node this rank runs on (`MPI_Get_processor_name`).
    public let hostname: String
    /// The time a collective may take before it fails (the slowest rank's share of the work included).
    public var timeout: Duration

    let world: MPI_Comm?

    /// Initialises MPI (once per process) and describes `MPI_COMM_WORLD`. The corresponding C functions are
    /// `MPI_Init`, `MPI_Comm_set_errhandler`, `MPI_Comm_rank`, `MPI_Comm_size` and `MPI_Get_processor_name`.
    public init(timeout: Duration = .seconds(3600)) throws {
        var initialized: Int32 = 0
        try Self.check(MPI_Initialized(&initialized), "MPI_Initialized")
        if initialized == 0 { try Self.check(MPI_Init(nil, nil), "MPI_Init") }
        let world = cmpi_comm_world()
        try Self.check(MPI_Comm_set_errhandler(world, cmpi_errors_return()), "MPI_Comm_set_errhandler")
        var rank: Int32 = 0
        var size: Int32 = 0
        try Self.check(MPI_Comm_rank(world, &rank), "MPI_Comm_rank")
        try Self.check(MPI_Comm_size(world, &size), "MPI_Comm_size")
        var name = [CChar](repeating: 0, count: Int(cmpi_max_processor_name()) + 1)
        var length: Int32 = 0
        try Self.check(MPI_Get_processor_name(&name, &length), "MPI_Get_processor_name")
        self.world = world
        self.rank = Int(rank)
        self.size = Int(size)
        self.hostname = String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.timeout = timeout
    }

    /// "rank 2 (node07)": how errors name a rank.
    public func describe(rank other: Int, host: String? = nil) -> String {
        "rank \(other)" + ((host ?? (other == rank ? hostname : nil)).map { " (\($0))" } ?? "")
    }

    /// Ends MPI on this rank after a run every rank finished. The corresponding C function is `MPI_Finalize`.
    public func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    /// Ends every rank of the job with `code` (after an error that leaves the ranks out of step, such as a
    /// collective that timed out). The corresponding C function is `MPI_Abort`.
    public func abort(_ code: Int32 = 1) -> Never {
        MPI_Abort(world, code)
        Glibc.exit(code)
    }

    /// Throws a ``DistributedError`` naming `operation` and MPI's message unless `code` is `MPI_SUCCESS`.
    static func check(_ code: Int32, _ operation: String) throws {
        guard code != cmpi_success() else { return }
        var text = [CChar](repeating: 0, count: Int(cmpi_max_error_string()) + 1)
        var length: Int32 = 0
        let message = MPI_Error_string(code, &text, &length) == cmpi_success()
            ? String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "MPI error \(code)"
        throw DistributedError("\(operation) failed: \(message)")
    }
}
#endif
