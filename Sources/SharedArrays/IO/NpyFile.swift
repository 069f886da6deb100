#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Range-based, pointer-based reading of `.npy` files, made for forked workers: each call opens the file,
/// reads its own element range with `pread` straight into a destination pointer, and closes it.
/// No state is kept between calls.
public enum NpyFile {
    /// The size of the blocks read when elements need byte swapping or conversion.
    static let blockBytes = 1 << 20
    /// The longest header accepted (numpy writes under 200 bytes for any shape it can save here, and
    /// refuses more than 10,000 by default).
    static let maximumHeaderBytes = 1 << 20

    /// Reads and validates the header of the `.npy` file at `path`: format 1.0, 2.0 or 3.0, a supported
    /// dtype, C order, a valid shape, and a file long enough for all the data.
    public static func read(path: String) throws -> NpyHeader {
        let fd = try PosixFile.open(path, .readOnly)
        defer { PosixFile.close(fd) }
        return try read(fd: fd, path: path)
    }

    static func read(fd: Int32, path: String) throws -> NpyHeader {
        let fileSize = try PosixFile.size(fd, path: path)
        // Magic (6) + version (2) + header length (2 or 4).
        var prefix = [UInt8](repeating: 0, count: 12)
        let got = try prefix.withUnsafeMutableBytes {
            try PosixFile.read(fd, into: $0.baseAddress!, count: 12, offset: 0, path: path)
        }
        guard got >= 10, Array(prefix[0..<6]) == npyMagic else {
            throw ArrayIOError(.invalidFormat, path: path,
                               fileSize == 0 ? "not a .npy file: the file is empty"
                                   : "not a .npy file: missing the \\x93NUMPY magic string")
        }
        let major = prefix[6], minor = prefix[7]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(prefix[8]) | Int(prefix[9]) << 8
            headerStart = 10
        case 2, 3:
            guard got >= 12 else {
                throw ArrayIOError(.truncated, path: path, "truncated: the file ends inside the .npy preamble")
            }
            headerLength = Int(prefix[8]) | Int(prefix[9]) << 8 | Int(prefix[10]) << 16 | Int(prefix[11]) << 24
            headerStart = 12
        default:
            throw ArrayIOError(.invalidFormat, path: path,
                               "unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)")
        }
        let dataOffset = headerStart + headerLength
        guard headerLength <= maximumHeaderBytes else {
            throw ArrayIOError(.invalidFormat, path: path,
                               "malformed .npy header: it says it is \(headerLength) bytes long; a header holds at most \(maximumHeaderBytes)")
        }
        guard fileSize >= dataOffset else {
            throw ArrayIOError(.truncated, path: path,
                               "truncated: header says it is \(headerLength) bytes long but the file has only \(fileSize) bytes")
        }
        var headerBytes = [UInt8](repeating: 0, count: headerLength)
        if headerLength > 0 {
            try headerBytes.withUnsafeMutableBytes {
                try PosixFile.readExactly(fd, into: $0.baseAddress!, count: headerLength, offset: headerStart,
                                          path: path)
            }
        }
        // Versions 1 and 2 are latin-1; version 3 is UTF-8. The keys and values we need are ASCII either way.
        let text = major == 3 ? String(decoding: headerBytes, as: UTF8.self)
            : String(headerBytes.map { Character(Unicode.Scalar($0)) })

        let parsed: NpyHeaderParser.Value
        do {
            parsed = try NpyHeaderParser.parse(text)
        } catch let error as NpyHeaderParser.SyntaxError {
            throw ArrayIOError(.invalidFormat, path: path, "malformed .npy header: \(error.message)")
        }
        guard case let .dict(items) = parsed else {
            throw ArrayIOError(.invalidFormat, path: path, "malformed .npy header: not a dictionary")
        }
        // numpy requires exactly these keys (a repeated key is refused by the parser).
        if let unknown = items.first(where: { !["descr", "fortran_order", "shape"].contains($0.0) }) {
            throw ArrayIOError(.invalidFormat, path: path,
                               "malformed .npy header: unexpected key '\(unknown.0)' (a header has exactly 'descr', 'fortran_order' and 'shape')")
        }
        func item(_ key: String) throws -> NpyHeaderParser.Value {
            guard let found = items.first(where: { $0.0 == key }) else {
                throw ArrayIOError(.invalidFormat, path: path, "malformed .npy header: no '\(key)' key")
            }
            return found.1
        }

        let descr: String
        switch try item("descr") {
        case let .string(value):
            descr = value
        case .list:
            throw ArrayIOError(.unsupportedType, path: path,
                               "unsupported dtype: a structured (record) array; only plain numeric arrays are supported")
        default:
            throw ArrayIOError(.invalidFormat, path: path, "malformed .npy header: 'descr' is not a string")
        }
        let dtype: DType, isBigEndian: Bool
        switch NpyHeaderParser.dtype(descr: descr) {
        case let .success((d, big)): (dtype, isBigEndian) = (d, big)
        case let .failure(error): throw ArrayIOError(.unsupportedType, path: path, error.message)
        }

        guard case let .bool(fortranOrder) = try item("fortran_order") else {
            throw ArrayIOError(.invalidFormat, path: path, "malformed .npy header: 'fortran_order' is not True/False")
        }
        guard case let .tuple(dims) = try item("shape") else {
            throw ArrayIOError(.invalidFormat, path: path, "malformed .npy header: 'shape' is not a tuple")
        }
        var shape: [Int] = []
        for dim in dims {
            guard case let .int(n) = dim else {
                throw ArrayIOError(.invalidFormat, path: path, "malformed .npy header: bad shape entry in \(text.trimmingSpace)")
            }
            guard n >= 0 else {
                throw ArrayIOError(.invalidFormat, path: path, "malformed .npy header: negative dimension \(n) in 'shape'")
            }
            shape.append(n)
        }
        // numpy's own rule: the extents (a zero counted as one) times the element size must fit.
        guard CheckedSize.byteCount(shape: shape.map { Swift.max($0, 1) }, elementSize: dtype.byteSize) != nil,
              let count = CheckedSize.elementCount(shape), let dataBytes = CheckedSize.product(count, dtype.byteSize) else {
            throw ArrayIOError(.invalidFormat, path: path,
                               "malformed .npy header: shape \(shape) of \(dtype.rawValue) is \(CheckedSize.describeBytes(shape: shape.map { Swift.max($0, 1) }, elementSize: dtype.byteSize)), more than can be addressed")
        }
        if fortranOrder && shape.filter({ $0 > 1 }).count > 1 {
            throw ArrayIOError(.unsupportedType, path: path,
                               "fortran_order is True: only C-order arrays are supported (save with np.ascontiguousarray)")
        }
        let available = fileSize - dataOffset
        if available < dataBytes {
            throw ArrayIOError(.truncated, path: path,
                               "truncated: header says \(count) \(dtype.rawValue) values (\(dataBytes) bytes) but file has \(available) bytes of data")
        }
        if available > dataBytes {
            // numpy ignores bytes after the data; here a shape that disagrees with the file is a sign of a
            // damaged header (a dimension shrunk), so it is refused rather than read as a different array.
            throw ArrayIOError(.invalidFormat, path: path,
                               "malformed .npy file: header says shape \(shape) of \(dtype.rawValue) (\(dataBytes) bytes of data) but the file has \(available) bytes of data")
        }
        return NpyHeader(dtype: dtype, isBigEndian: isBigEndian, shape: shape, dataOffset: dataOffset, count: count)
    }

    /// Reads elements `range` (flat C-order indices) of the `.npy` file at `path` into `destination` as
    /// `target`, byte-swapping and converting as needed. `destination` must have room for
    /// `range.count * target.byteSize` bytes. Same dtype and byte order as the host: one `pread` straight into
    /// `destination`; otherwise blocks of about 1 MiB.
    ///
    /// The header must be the one ``read(path:)`` returned for this file (workers read it once in the
    /// parent and pass it along).
    public static func readElements(path: String, header: NpyHeader, range: Range<Int>,
                                    into destination: UnsafeMutableRawPointer, as target: DType) throws {
        guard range.lowerBound >= 0, range.upperBound <= header.count else {
            throw ArrayIOError(.invalidArgument, path: path,
                               "element range \(range.lowerBound)..<\(range.upperBound) is outside the array's \(header.count) elements")
        }
        if range.isEmpty { return }
        let fd = try PosixFile.open(path, .readOnly)
        defer { PosixFile.close(fd) }

        let source = header.dtype
        let hostBigEndian = 1.bigEndian == 1
        let swap = header.isBigEndian != hostBigEndian && source.byteSize > 1
        // The header is public and may have been built by hand: no offset may overflow.
        guard let first = CheckedSize.product(range.lowerBound, source.byteSize),
              let start = CheckedSize.sum(header.dataOffset, first),
              let bytes = CheckedSize.product(range.count, Swift.max(source.byteSize, target.byteSize)),
              CheckedSize.sum(start, bytes) != nil else {
            throw ArrayIOError(.invalidArgument, path: path,
                               "element range \(range.lowerBound)..<\(range.upperBound) at data offset \(header.dataOffset) is past any file size")
        }

        func readOrTruncated(_ buffer: UnsafeMutableRawPointer, _ bytes: Int, _ offset: Int) throws {
            let got = try PosixFile.read(fd, into: buffer, count: bytes, offset: offset, path: path)
            if got < bytes {
                throw ArrayIOError(.truncated, path: path,
                                   "truncated: header says \(header.count) \(source.rawValue) values (\(header.dataByteCount) bytes) but file has \(offset + got - header.dataOffset) bytes of data")
            }
        }

        if source == target && !swap {
            try readOrTruncated(destination, range.count * source.byteSize, start)
            return
        }
        let blockElements = max(1, blockBytes / source.byteSize)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: min(range.count, blockElements) * source.byteSize,
                                                      alignment: 16)
        defer { buffer.deallocate() }
        var done = 0
        while done < range.count {
            let n = min(blockElements, range.count - done)
            try readOrTruncated(buffer, n * source.byteSize, start + done * source.byteSize)
            ElementConversion.convert(from: buffer, source: source, swapBytes: swap,
                                      to: destination + done * target.byteSize, target: target, count: n)
            done += n
        }
    }
}

extension String {
    fileprivate var trimmingSpace: String {
        var s = Substring(self)
        while let c = s.last, c == " " || c == "\n" { s = s.dropLast() }
        return String(s)
    }
}
