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
    /// - Parameter includingOptional: refuse a missing filter marked optional (h5py marks every plugin filter
    ///   so) in any case. Otherwise such a filter is refused only when the first stored chunk went through it:
    ///   a chunk written while an optional filter was missing is stored without it, and reads fine.
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
            guard id >= 0, HDF5FloatingPointGuard.preservingEnvironment({ H5Zfilter_avail(id) }) <= 0 else { continue }
            if optional && !includingOptional && !firstChunkApplies(filter: index, dataset: dataset) { continue }
            let reported = nameBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            missing.append(HDF5.filterLabel(id, reported: reported))
        }
        H5Eclear2(0)  // H5E_DEFAULT: the failed plugin searches are not the caller's error
        guard !missing.isEmpty else { return }
        let directories = pluginSearchPath()
        let searched = directories.isEmpty ? "no plugin directory is set" : "not found in \(directories.joined(separator: ":"))"
        throw ArrayIOError(
            .unsupportedType, path: path, dataset: name,
            "compressed with \(missing.joined(separator: " and ")), which this HDF5 cannot decode (plugin \(searched)); "
                + "install the filter's HDF5 plugin and set HDF5_PLUGIN_PATH to the directory holding it")
    }

    /// Whether the dataset's first stored chunk went through filter number `index` of its pipeline (its
    /// filter mask bit is clear); false when no chunk is stored or the chunk index cannot be read.
    private static func firstChunkApplies(filter index: UInt32, dataset: hid_t) -> Bool {
        let space = H5Dget_space(dataset)
        guard space >= 0 else { return false }
        defer { H5Sclose(space) }
        var chunks: hsize_t = 0
        guard H5Dget_num_chunks(dataset, space, &chunks) >= 0, chunks > 0 else { return false }
        let rank = Int(max(H5Sget_simple_extent_ndims(space), 1))
        var offset = [hsize_t](repeating: 0, count: rank)
        var mask: UInt32 = 0
        var address: haddr_t = 0
        var size: hsize_t = 0
        guard H5Dget_chunk_info(dataset, space, 0, &offset, &mask, &address, &size) >= 0 else { return false }
        return index >= 32 || mask & (1 << index) == 0
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
