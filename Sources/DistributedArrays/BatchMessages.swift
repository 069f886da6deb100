#if MPI
import HDF5Arrays
import Multiprocessing

/// The messages of a distributed batch. A rank asks rank 0 for work with a ``BatchReport`` (carrying the
/// records of the files it was given last, or the error that stopped it) and rank 0 answers with a
/// ``BatchAssignment`` (the next files, or none: stop).
enum BatchMessage {
    static let reportTag = 1601
    static let assignmentTag = 1602

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try BinaryEncoder().encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], from rank: Int) throws -> T {
        do {
            return try BinaryDecoder().decode(type, from: bytes)
        } catch {
            throw DistributedError("rank \(rank) sent a message that is not a \(type): \(error)")
        }
    }
}

/// A rank's request for work: the records of each file it was given last, in order, or why it could not
/// read them.
struct BatchReport: Codable {
    /// The node the rank runs on, for error messages.
    var host: String
    /// The rank's local workers (a window gives every worker at least one file when there are enough).
    var workers: Int
    var records: [[HDF5BatchRecord]]
    /// The error that stopped the rank (its pool failed): rank 0 reports it and stops the batch.
    var error: String?
}

/// Rank 0's answer: the files to read next; none means the batch is over for that rank.
struct BatchAssignment: Codable {
    var files: [HDF5BatchFile]
}
#endif
