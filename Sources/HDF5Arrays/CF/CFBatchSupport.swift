import CHDF5
import SharedArrays

extension Statistic {
    /// This statistic, or its NaN-skipping variant when `skip` is set: on a CF-decoded dataset with a mask,
    /// `count` is the number of valid elements and `mean`, `std`, `min`, ... are those of the valid elements
    /// (numpy.ma's and xarray's `skipna` semantics), because masked elements are NaN.
    public func skippingMasked(_ skip: Bool) -> Statistic {
        guard skip else { return self }
        switch self {
        case .count: return .nancount
        case .sum: return .nansum
        case .mean: return .nanmean
        case .var: return .nanvar
        case .std: return .nanstd
        case .min: return .nanmin
        case .max: return .nanmax
        case .argmin: return .nanargmin
        case .argmax: return .nanargmax
        case .norm, .nancount, .nansum, .nanmean, .nanvar, .nanstd, .nanmin, .nanmax, .nanargmin, .nanargmax:
            return self
        }
    }
}

extension FileScanner {
    /// The active CF decoding of an open dataset when the batch decodes (nil otherwise); the decoding is also
    /// noted in `info`'s type description (the summary's `stored_type`), e.g.
    /// `int16 big-endian; CF: int16 -> float64: scale_factor 0.01 (float64)`.
    func decodingRule(dataset: hid_t, fileID: hid_t, info: inout HDF5DatasetInfo) throws -> CFDecoding? {
        guard decode, info.field == nil, info.dtype != nil,
            let decoding = try HDF5.cfDecoding(dataset: dataset, file: fileID, path: path, name: info.path),
            decoding.isActive
        else { return nil }
        info.typeDescription += "; CF: \(decoding.summary)"
        return decoding
    }
}

/// ``openDatasetReader(file:dataset:field:computeType:decode:fast:)`` with the decoding already read from the
/// file (nil: none to apply).
func openDatasetReader(file: String, dataset: String, computeType: DType, decoding: CFDecoding?) throws
    -> any DatasetRangeReader {
    guard let decoding else { return try openRangeReader(file: file, dataset: dataset, computeType: computeType) }
    let inner = try openRangeReader(file: file, dataset: dataset, computeType: decoding.stored.packedDType)
    return CFDecodingReader(inner, file: file, decoding: decoding)
}
