import CHDF5
import SharedArrays

/// Checks, before any read, that HDF5 can decode every filter a dataset's chunks went through.
///
/// HDF5 loads a filter it does not have built in from a plugin directory (Debian's serial HDF5 searches
/// `/usr/lib/<arch>/hdf5/serial/plugins`, where the `hdf5-filter-plugin`, `hdf5-filter-plugin-blosc-serial`
/// and `bitshuffle` packages install bzip2, lz4, blosc, bitshuffle and lzf; `HDF5_PLUGIN_PATH` replaces that
/// directory). A filter found nowhere would fail the first chunk read with a message about the plugin path;
/// this names the filter and its id instead, and says how to add it.
enum HDF5FilterAvailability {
    /// Throws when a filter the open dataset has is not available; `path` and `name` are for the message.
    /// - Parameter includingOptional: also check filters marked optional (h5py marks every plugin filter so).
    ///   A chunk written while an optional filter failed is stored without it, so a reader checks them only
    ///   once a read failed; the filters HDF5 always applies are checked before any read.
    static func check(dataset: hid_t, path: String, name: String, includingOptional: Bool) throws {
        let dcpl = H5Dget_create_plist(dataset)
        guard dcpl >= 0 else {
            throw ArrayIOError(.ioFailure, path: path, dataset: name,
                               "cannot read the creation properties\(HDF5.lastErrorSuffix())")
        }
        defer { H5Pclose(dcpl) }
        let filterCount = H5Pget_nfilters(dcpl)
        guard filterCount > 0 else { return }
        var missing: [String] = []
        for index in 0..<UInt32(filterCount) {
            var flags: UInt32 = 0
            var valueCount = 8
            var values = [UInt32](repeating: 0, count: 8)
            var nameBuffer = [CChar](repeating: 0, count: 256)
            var config: UInt32 = 0
            let id = H5Pget_filter2(dcpl, index, &flags, &valueCount, &values, nameBuffer.count, &nameBuffer, &config)
            let optional = flags & UInt32(H5Z_FLAG_OPTIONAL) != 0
            guard id >= 0, includingOptional || !optional, H5Zfilter_avail(id) <= 0 else { continue }
            let reported = nameBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            missing.append(HDF5.filterLabel(id, reported: reported))
        }
        HDF5.prepare()  // H5Zfilter_avail leaves the failed plugin search on the error stack
        guard !missing.isEmpty else { return }
        let directories = pluginSearchPath()
        let searched = directories.isEmpty ? "no plugin directory is set" : "not found in \(directories.joined(separator: ":"))"
        throw ArrayIOError(
            .unsupportedType, path: path, dataset: name,
            "compressed with \(missing.joined(separator: " and ")), which this HDF5 cannot decode (plugin \(searched)); "
                + "install the filter's HDF5 plugin and set HDF5_PLUGIN_PATH to the directory holding it")
    }

    /// The directories HDF5 searches for filter plugins, in order.
    static func pluginSearchPath() -> [String] {
        var count: UInt32 = 0
        guard H5PLsize(&count) >= 0 else { return [] }
        var directories: [String] = []
        for index in 0..<count {
            let length = H5PLget(index, nil, 0)
            guard length > 0 else { continue }
            var buffer = [CChar](repeating: 0, count: length + 1)
            guard H5PLget(index, &buffer, buffer.count) > 0 else { continue }
            directories.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return directories
    }
}

extension HDF5 {
    /// The directories this HDF5 searches for filter plugins, in order (`HDF5_PLUGIN_PATH` when set, else the
    /// library's built-in directory).
    public static var pluginDirectories: [String] {
        prepare()
        return HDF5FilterAvailability.pluginSearchPath()
    }
}
