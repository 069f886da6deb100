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
}
