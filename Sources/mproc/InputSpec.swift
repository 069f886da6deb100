import HDF5Arrays
import SharedArrays

/// `FILE` or `FILE:/dataset` as typed on the command line.
struct InputSpec: CustomStringConvertible {
    enum Format { case npy, hdf5 }

    let path: String
    let dataset: String?
    let format: Format
    /// The numeric member of a compound HDF5 dataset to read (`--field`), or nil.
    let field: String?
    /// Apply the HDF5 dataset's CF attributes when loading it (`--raw` turns this off).
    var decode = true

    /// Parses `FILE[:/dataset]`; an HDF5 file without a dataset uses its only numeric dataset. `field` selects
    /// a member of a compound dataset.
    init(parsing text: String, field: String? = nil) throws {
        (path, dataset) = splitDatasetSpec(text)
        self.field = field
        guard !path.isEmpty else { throw CLIError("no file given in '\(text)'") }
        let lower = path.lowercased()
        if lower.hasSuffix(".npy") {
            guard dataset == nil else { throw CLIError("\(path): a .npy file has no datasets (drop ':\(dataset!)')") }
            guard field == nil else { throw CLIError("\(path): a .npy file has no fields (drop --field)") }
            format = .npy
        } else if [".h5", ".hdf5", ".he5", ".nc", ".mat", ".hdf"].contains(where: lower.hasSuffix) || dataset != nil {
            format = .hdf5
        } else {
            throw CLIError("\(path): unknown file type; use a .npy file or an HDF5 file (.h5, .hdf5) with :/dataset")
        }
    }

    var description: String { dataset.map { "\(path):\($0)" } ?? path }

    /// The dataset to read from an HDF5 file: the one named, or the only numeric one.
    func resolvedDataset() throws -> String {
        if let dataset { return dataset }
        let all = try HDF5.listDatasets(file: path)
        let numeric = all.filter(\.isNumeric)
        guard numeric.count == 1 else {
            let names = numeric.map(\.path).joined(separator: ", ")
            let tables = all.filter { !$0.fields.isEmpty }
                .map { "\($0.path) (compound: \($0.fieldList))" }.joined(separator: "; ")
            let tableHint = tables.isEmpty ? "" : "; read a field of a compound dataset with \(path):/NAME --field FIELD: \(tables)"
            throw CLIError(
                numeric.isEmpty
                    ? "\(path): the file has no numeric dataset\(tableHint)"
                    : "\(path): name a dataset with \(path):/NAME; numeric datasets: \(names)\(tableHint)")
        }
        return numeric[0].path
    }

    /// The element type stored in the file.
    func fileDType() throws -> DType {
        switch format {
        case .npy: return try NpyFile.read(path: path).dtype
        case .hdf5:
            let whole = try HDF5.datasetInfo(file: path, dataset: try resolvedDataset())
            let info = try field.map { try whole.selecting(field: $0, file: path) } ?? whole
            guard let dtype = info.dtype else {
                throw CLIError("\(path):\(try resolvedDataset()): \(info.notNumericReason ?? "")")
            }
            return dtype
        }
    }

    /// Loads the array with element type `E`, refusing a declared size past `limit` before any read.
    func load<E: SharedElement>(as _: E.Type, limit: SizeLimit, on pool: WorkerPool) throws -> SharedArray<E> {
        switch format {
        case .npy: try SharedArray<E>.load(npy: path, limit: limit, on: pool)
        case .hdf5:
            try SharedArray<E>.load(
                hdf5: path, dataset: try resolvedDataset(), field: field, decode: decode, limit: limit, on: pool)
        }
    }
}

/// A command-line error: printed as one line, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Splits `FILE:/dataset` at the first `:/`; (FILE, nil) when there is none.
func splitDatasetSpec(_ text: String) -> (String, String?) {
    let chars = Array(text)
    for i in 0..<max(0, chars.count - 1) where chars[i] == ":" && chars[i + 1] == "/" {
        return (String(chars[..<i]), String(chars[(i + 1)...]))
    }
    return (text, nil)
}
