import Multiprocessing
import SystemPackage

/// Writes `.npy` files (format 1.0, little-endian, C order) in element ranges, from several processes at once.
///
/// ``create(path:dtype:shape:)`` writes the header and sets the file's final size; then any process may call
/// ``writeElements(range:from:)`` (or the static ``writeElements(path:dataOffset:dtype:range:from:)``) for its
/// own range: each call opens its own descriptor and uses `pwrite`, so disjoint ranges never interfere.
/// The writer keeps no open descriptor, so it is a plain value that is safe to copy into forked workers.
/// Writes go to exactly the path given: the caller handles writing to a temporary name and renaming.
public struct NpyWriter: Sendable, Equatable {
    /// The file being written.
    public let path: String
    /// The element type (stored little-endian).
    public let dtype: DType
    /// The array's shape.
    public let shape: [Int]
    /// The byte offset of the first element (a multiple of 64).
    public let dataOffset: Int
    /// The number of elements.
    public let count: Int
    /// The identity of the file this writer made with ``create(in:dtype:shape:)``: writes reopen `path` only if
    /// it is still that file.
    public private(set) var identity: FileIdentity?

    /// The header numpy would write for this dtype and shape, padded with spaces and a newline so the data
    /// starts at a multiple of 64 bytes. Format 1.0 unless the header needs more than 65535 bytes (then 2.0).
    static func headerBytes(dtype: DType, shape: [Int]) -> [UInt8] {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        let dict = "{'descr': '\(dtype.npyDescr)', 'fortran_order': False, 'shape': \(shapeText), }"
        var version: UInt8 = 1
        var prefixLength = 10
        var total = prefixLength + dict.utf8.count + 1
        var padded = (total + 63) / 64 * 64
        if padded - prefixLength > 0xFFFF {
            version = 2
            prefixLength = 12
            total = prefixLength + dict.utf8.count + 1
            padded = (total + 63) / 64 * 64
        }
        let headerLength = padded - prefixLength
        var bytes = npyMagic + [version, 0]
        if version == 1 {
            bytes += [UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)]
        } else {
            bytes += (0..<4).map { UInt8((headerLength >> (8 * $0)) & 0xFF) }
        }
        bytes += Array(dict.utf8)
        bytes += [UInt8](repeating: 0x20, count: padded - total)
        bytes.append(0x0A)
        return bytes
    }

    /// Creates (or truncates) the regular file at `path`, writes the header, and sets the file's size to hold
    /// every element (unwritten elements read as zero). A symbolic link or other non-regular file at `path` is
    /// refused, never written through. To replace an output safely, use ``create(in:dtype:shape:)``.
    public static func create(path: String, dtype: DType, shape: [Int]) throws -> NpyWriter {
        let (count, dataBytes) = try sizes(path: path, dtype: dtype, shape: shape)
        try convertingOutputErrors(path: path) { try AtomicOutputFile.checkDestination(path) }
        let header = headerBytes(dtype: dtype, shape: shape)
        let fd = try PosixFile.open(path, .writeOnly, options: [.create, .truncate, .noFollow])
        do {
            try header.withUnsafeBytes {
                try PosixFile.write(fd, from: $0.baseAddress!, count: header.count, offset: 0, path: path)
            }
            try PosixFile.truncate(fd, size: header.count + dataBytes, path: path)
        } catch {
            PosixFile.close(fd)
            throw error
        }
        try PosixFile.closeChecked(fd, path: path)
        return NpyWriter(path: path, dtype: dtype, shape: shape, dataOffset: header.count, count: count)
    }

    /// Writes the header into `output` (an ``AtomicOutputFile``'s temporary file) and sets its size; workers
    /// then write their ranges into that very file (reopened by name, checked by identity), and the caller
    /// commits `output` when they are done.
    public static func create(in output: AtomicOutputFile, dtype: DType, shape: [Int]) throws -> NpyWriter {
        let (count, dataBytes) = try sizes(path: output.destination, dtype: dtype, shape: shape)
        let header = headerBytes(dtype: dtype, shape: shape)
        try convertingOutputErrors(path: output.destination) {
            try output.write(header)
            try output.resize(to: header.count + dataBytes)
        }
        var writer = NpyWriter(path: output.temporaryPath, dtype: dtype, shape: shape, dataOffset: header.count, count: count)
        writer.identity = output.identity
        return writer
    }

    /// The element count and data bytes of `shape`, checked for overflow.
    private static func sizes(path: String, dtype: DType, shape: [Int]) throws -> (count: Int, dataBytes: Int) {
        var count = 1
        for n in shape {
            guard n >= 0 else {
                throw ArrayIOError(.invalidArgument, path: path, "cannot create an array with shape \(shape): negative dimension")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw ArrayIOError(.invalidArgument, path: path, "shape \(shape) is too large") }
            count = product
        }
        let (dataBytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw ArrayIOError(.invalidArgument, path: path, "shape \(shape) is too large") }
        return (count, dataBytes)
    }

    /// Describes an existing file (for example one created by another process) without touching it.
    public init(path: String, dtype: DType, shape: [Int], dataOffset: Int, count: Int) {
        self.path = path
        self.dtype = dtype
        self.shape = shape
        self.dataOffset = dataOffset
        self.count = count
    }

    /// Writes elements `range` (flat C-order indices) from `source`, which holds `range.count` elements of
    /// ``dtype`` in host byte order (little-endian).
    public func writeElements(range: Range<Int>, from source: UnsafeRawPointer) throws {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw ArrayIOError(.invalidArgument, path: path,
                               "element range \(range.lowerBound)..<\(range.upperBound) is outside the array's \(count) elements")
        }
        try NpyWriter.writeElements(
            path: path, identity: identity, dataOffset: dataOffset, dtype: dtype, range: range, from: source)
    }

    /// Writes elements `range` of an existing `.npy` file whose data starts at `dataOffset`, from `source`
    /// (`range.count` elements of `dtype`, host byte order). Opens its own descriptor: safe to call from several
    /// processes at once for disjoint ranges. Does not check `range` against the array's size. With `identity`,
    /// `path` is written only if it is still that file.
    public static func writeElements(path: String, identity: FileIdentity? = nil, dataOffset: Int, dtype: DType,
                                     range: Range<Int>, from source: UnsafeRawPointer) throws {
        guard range.lowerBound >= 0 else {
            throw ArrayIOError(.invalidArgument, path: path, "negative element index \(range.lowerBound)")
        }
        if range.isEmpty { return }
        guard 1.littleEndian == 1 else {
            throw ArrayIOError(.unsupportedType, path: path, "writing .npy files on a big-endian host is not supported")
        }
        let fd: Int32
        if let identity {
            fd = try convertingOutputErrors(path: path) {
                try AtomicOutputFile.reopenForWriting(path, identity: identity).rawValue
            }
        } else {
            fd = try PosixFile.open(path, .writeOnly, options: .noFollow)
        }
        do {
            try PosixFile.write(fd, from: source, count: range.count * dtype.byteSize,
                                offset: dataOffset + range.lowerBound * dtype.byteSize, path: path)
        } catch {
            PosixFile.close(fd)
            throw error
        }
        try PosixFile.closeChecked(fd, path: path)
    }
}
