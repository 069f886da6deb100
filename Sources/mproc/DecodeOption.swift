import ArgumentParser
import HDF5Arrays
import SharedArrays

/// `--raw`: read an HDF5 dataset's stored values, without applying its CF attributes (``CFDecoding``).
struct DecodeOption: ParsableArguments {
    @Flag(name: .long, help: ArgumentHelp(
        "Read the stored values: do not apply CF attributes (scale_factor, add_offset, _FillValue, missing_value, "
            + "valid_min/valid_max/valid_range, netCDF's default fill)."))
    var raw = false

    var decode: Bool { !raw }
}

extension InputSpec {
    /// The CF decoding of the HDF5 dataset this names (nil for `.npy`, with `--field`, or when there is none).
    func cfDecoding() throws -> CFDecoding? {
        guard format == .hdf5, field == nil else { return nil }
        return try HDF5.cfDecoding(file: path, dataset: try resolvedDataset())
    }
}

/// Prints the attributes a decoding ignored, one `note:` line each on stderr.
func printDecodingNotes(_ decoding: CFDecoding?, of spec: CustomStringConvertible) {
    for note in decoding?.notes ?? [] { writeStandardError("note: \(spec): CF attribute \(note)\n") }
}

extension OrderOp {
    /// The NaN-skipping op when `skip` is set (on a CF-decoded dataset with a mask, masked elements are NaN).
    func skippingMasked(_ skip: Bool) -> OrderOp {
        guard skip else { return self }
        switch statistic {
        case .median: return OrderOp(name: name, statistic: .nanmedian)
        case .quantile(let q): return OrderOp(name: name, statistic: .nanquantile(q))
        case .percentile(let p): return OrderOp(name: name, statistic: .nanpercentile(p))
        default: return self
        }
    }
}

extension Statistics {
    /// These values under the names asked for (`asked[i]` for the i-th value).
    func relabeled(_ asked: [Statistic]) -> Statistics {
        Statistics(values: zip(asked, values).map { ($0, $1.1) }, count: count)
    }
}

extension AxisStatistics {
    /// These values under the names asked for (`asked[i]` for the i-th value).
    func relabeled(_ asked: [Statistic]) -> AxisStatistics {
        AxisStatistics(axis: axis, values: zip(asked, values).map { ($0, $1.1) })
    }
}
