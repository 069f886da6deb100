import Synchronization

/// The dataset reader a worker keeps open across the chunks of one call: opening an HDF5 dataset costs
/// milliseconds (a 1 GiB dataset read piece by piece, reopened for each, was 2.5x slower). One per worker
/// process, shared by the jobs that read datasets by range (``HDF5LoadJob``, ``BatchPieceJob``,
/// ``SharePieceJob``). A call is named by a serial number from ``nextSerial()``, one counter for all of
/// them, and a call over several datasets names each by its index (`part`), so one call's reader is never
/// taken for another's.
enum WorkerReaderCache {
    nonisolated(unsafe) private static var current: (serial: UInt64, part: Int, reader: any DatasetRangeReader)?
    private static let serials = Atomic<UInt64>(1)

    /// A serial number for a new call (taken in the calling process, before its job is made).
    static func nextSerial() -> UInt64 { serials.wrappingAdd(1, ordering: .relaxed).oldValue }

    /// The reader of call `serial`, dataset `part`: the one this worker holds, or a new one from `open`
    /// (the one held before is closed first).
    static func reader(
        serial: UInt64, part: Int = 0, open: () throws -> any DatasetRangeReader
    ) throws -> any DatasetRangeReader {
        if let current, current.serial == serial, current.part == part { return current.reader }
        current?.reader.close()
        current = nil
        let reader = try open()
        current = (serial, part, reader)
        return reader
    }
}
