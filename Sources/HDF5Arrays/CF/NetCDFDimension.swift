import CHDF5

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension HDF5 {
    /// The `NAME` netCDF-4 gives the dataset of a dimension that has no coordinate variable.
    static let netCDFDimensionOnlyName = "This is a netCDF dimension but not a netCDF variable"

    /// Whether an open dataset is a netCDF-4 dimension without a variable: a dimension scale netCDF writes only to
    /// give the dimension a length, holding no data (its `NAME` says so). Coordinate variables (dimension scales
    /// with values, such as `time`) are data and are not this.
    static func isNetCDFDimensionOnly(_ dataset: hid_t) -> Bool {
        guard H5Aexists(dataset, "NAME") > 0 else { return false }
        let attribute = H5Aopen(dataset, "NAME", mp_h5p_default())
        guard attribute >= 0 else { return false }
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        guard type >= 0 else { return false }
        let isString = H5Tget_class(type) == H5T_STRING
        H5Tclose(type)
        guard isString, let text = mp_h5_read_string_attribute(attribute) else { return false }
        defer { free(text) }
        return String(cString: text).hasPrefix(netCDFDimensionOnlyName)
    }
}
