import CHDF5
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Keeps HDF5's filter plugins from changing how this process computes.
///
/// Some plugins are built with `-ffast-math` (Debian's `libh5LZF.so` from the `bitshuffle` package): loading
/// one runs a constructor that turns on flush-to-zero and denormals-are-zero in the loading thread, after
/// which every subnormal double in that process (and in workers it forks) reads as zero. HDF5 loads a
/// plugin the first time a filter is looked up. So once in each process, before its first HDF5 use, the
/// known plugin filters are looked up with the floating-point environment saved and restored around the
/// lookups: the plugins stay loaded (HDF5 caches them) and their constructors never run again.
enum HDF5FloatingPointGuard {
    /// Filter ids of the plugins packaged for Debian and h5py's hdf5plugin: LZF, blosc, lz4, bitshuffle,
    /// bzip2, zstd, blosc2.
    static let pluginFilters: [H5Z_filter_t] = [32000, 32001, 32004, 32008, 307, 32015, 32026]

    /// The process that last preloaded (a forked child must do it again: its parent's loads were before
    /// the fork, but a child that was forked first has not loaded anything).
    private static let preloadedIn = Atomic<Int32>(0)

    /// Preloads the plugins once per process, keeping the floating-point environment as it was.
    static func preloadPluginsOnce() {
        let pid = getpid()
        guard preloadedIn.load(ordering: .acquiring) != pid else { return }
        preservingEnvironment {
            for id in pluginFilters { _ = H5Zfilter_avail(id) }
            H5Eclear2(0)  // H5E_DEFAULT: the misses are not an error of anyone's
        }
        preloadedIn.store(pid, ordering: .releasing)
    }

    /// Runs `body` and restores the floating-point environment (rounding, exception masks, FTZ/DAZ) after it.
    static func preservingEnvironment<T>(_ body: () throws -> T) rethrows -> T {
        var environment = fenv_t()
        fegetenv(&environment)
        defer { fesetenv(&environment) }
        return try body()
    }
}
