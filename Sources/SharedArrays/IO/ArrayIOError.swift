/// A failure reading or writing an array file (.npy or HDF5).
///
/// The message always names the file (and the dataset, for HDF5) and says what was wrong, for example
/// `data.npy: truncated: header says 1000000 float64 values (8000000 bytes) but file has 4096 bytes of data`.
/// Errors are values: no reader or writer in the IO layer traps on bad input.
public struct ArrayIOError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, as a category a caller can switch on.
    public enum Kind: String, Sendable, Equatable {
        /// The file does not exist or cannot be opened.
        case fileNotFound
        /// The file exists but is not in the expected format (bad magic, not HDF5, bad header).
        case invalidFormat
        /// The file is shorter than its header says.
        case truncated
        /// The element type (or layout, e.g. Fortran order) is not supported.
        case unsupportedType
        /// The dataset (HDF5) does not exist, or names a group.
        case datasetNotFound
        /// An element range or shape argument is out of bounds or inconsistent.
        case invalidArgument
        /// A system call (open, pread, pwrite, ftruncate) or an HDF5 library call failed.
        case ioFailure
        /// The declared size is larger than the ``SizeLimit`` (or than any size that can be computed).
        case tooLarge
    }

    /// The category of the failure.
    public let kind: Kind
    /// The file the error is about, as given by the caller.
    public let path: String
    /// The dataset inside an HDF5 file, if any.
    public let dataset: String?
    /// What was wrong, without the file name.
    public let reason: String

    public init(_ kind: Kind, path: String, dataset: String? = nil, _ reason: String) {
        self.kind = kind
        self.path = path
        self.dataset = dataset
        self.reason = reason
    }

    /// `FILE: reason` or `FILE:/dataset: reason`.
    public var description: String {
        if let dataset {
            let separator = dataset.hasPrefix("/") ? "" : "/"
            return "\(path):\(separator)\(dataset): \(reason)"
        }
        return "\(path): \(reason)"
    }
}
