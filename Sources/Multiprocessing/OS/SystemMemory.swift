#if canImport(Glibc)
import Glibc
#endif

/// The machine's memory as the OS reports it.
///
/// ```swift
/// let ceiling = SystemMemory.physicalBytes ?? (1 << 40)
/// ```
public enum SystemMemory {
    /// Physical memory in bytes (`_SC_PHYS_PAGES` times the page size), nil when unknown or past `Int.max`.
    /// The corresponding C function is `sysconf`.
    public static var physicalBytes: Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return nil }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow ? nil : bytes
    }

    /// Whether `bytes` of address space can still be mapped: a `PROT_NONE` reservation is made and released at
    /// once (it counts against `ulimit -v` but uses no memory). A process checks this before it starts work,
    /// so that a tight limit is one clear error, not a library's unchecked `malloc` failing later.
    /// The corresponding C functions are `mmap` and `munmap`.
    public static func canReserveAddressSpace(bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        guard let region = system_mmap(bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1),
              region != MAP_FAILED else { return false }
        _ = system_munmap(region, bytes)
        return true
    }
}
