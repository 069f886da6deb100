#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing
import Synchronization
import SystemPackage

/// A region of memory that several processes map at once.
///
/// Two kinds, as DESIGN.md decides:
/// - **anonymous** (the default): a `memfd`, with no name in `/dev/shm`, so nothing can leak. Worker
///   processes of a ``WorkerPool`` inherit it when forked after it, or attach through the owner's
///   `/proc/<pid>/fd/<fd>` when it was created later.
/// - **named**: a POSIX `shm_open` segment that an unrelated process can attach by name. Created with
///   `O_EXCL` and mode 0600 under a prefix that carries the owner's pid (`/mproc-<pid>-...`); the owner
///   unlinks it on deinit, at exit and on SIGINT/SIGTERM/SIGHUP, and ``SharedMemory/sweepOrphans()``
///   removes segments whose owner died.
///
/// Space is reserved up front with `posix_fallocate`, so a full `/dev/shm` is a clear error here rather
/// than a SIGBUS later.
///
/// ```swift
/// let segment = try SharedMemory(byteCount: 1 << 20)
/// segment.bytes.storeBytes(of: 42.0, as: Double.self)
/// ```
public final class SharedMemory: @unchecked Sendable {
    /// Bytes usable at ``base``.
    public let byteCount: Int
    /// The first byte of this process's mapping.
    public let base: UnsafeMutableRawPointer
    /// The `shm_open` name for named segments, `nil` for anonymous ones.
    public let name: String?
    /// A process-unique identity, used by workers to cache their own mappings.
    public let id: UInt64
    /// The file descriptor behind the mapping (a memfd or a shm fd).
    public let fileDescriptor: Int32
    /// The inode number of the file behind the mapping: with the owner's pid and descriptor, what identifies
    /// the segment to another process (descriptor numbers are reused once a segment is freed).
    public let inode: UInt64
    /// The pid of the process that created this segment.
    public let ownerPID: pid_t
    /// Whether this is a read-only mapping of a file (``init(mappingReadOnlyFileAt:)``): writing through
    /// ``base`` would fault, so writers must check this first.
    public let isReadOnly: Bool
    private let mappedLength: Int
    /// The process that made this mapping (forked children share the object but not the duty to free it).
    private let mappedBy: pid_t = system_getpid()
    private let unlinksOnDeinit: Bool

    /// The prefix every named segment of this package carries: `/mproc-<pid>-`.
    public static let namePrefix = "mproc-"

    private static let nextID = Atomic<UInt64>(1)

    /// The identity the next segment will get (segments with a lower id exist or existed before it).
    public static var idWatermark: UInt64 { nextID.load(ordering: .acquiring) }

    /// Creates a segment of `byteCount` bytes, zero-filled, with the space reserved.
    /// - Parameter named: create a named `shm_open` segment instead of an anonymous memfd.
    public convenience init(byteCount: Int, named: Bool = false) throws {
        if named {
            try self.init(creatingNamed: Self.uniqueName(), byteCount: byteCount)
        } else {
            try self.init(anonymousByteCount: byteCount)
        }
    }

    private init(anonymousByteCount byteCount: Int) throws {
        guard byteCount >= 0 else { throw SharedMemoryError.invalidSize(byteCount) }
        // A memfd is not bounded by /dev/shm's size but by memory: refuse what cannot fit rather than
        // invite the OOM killer. Below a MiB the check is skipped: it cost more than the allocation, and
        // a machine without a free MiB fails every allocation anyway.
        if byteCount >= Self.memoryCheckMinimumBytes, let available = Self.availableMemory(), byteCount > available {
            throw SharedMemoryError.insufficientMemory(requested: byteCount, available: available)
        }
        let fd = system_memfd_create("mproc-array")
        guard fd >= 0 else { throw SharedMemoryError.system(SystemError("memfd_create", "mproc-array")) }
        do {
            // Only set the size: a memfd lives on the kernel's internal shmem mount, which has no size
            // limit of its own (the MemAvailable check above is the guard), so nothing can SIGBUS for
            // lack of tmpfs space. Reserving with posix_fallocate would zero every page here, in one
            // thread; left alone, the workers zero their own chunks in parallel on first touch.
            guard case .success = nothingOrErrno({ system_ftruncate(fd, off_t(byteCount)) }) else {
                throw byteCount > 0 && mp_errno() == EFBIG
                    ? SharedMemoryError.system(SystemError("ftruncate", "anonymous segment (file size limit)"))
                    : SharedMemoryError.system(SystemError("ftruncate", "anonymous segment"))
            }
            let length = max(byteCount, 1)
            let pointer = try Self.map(fd: fd, length: length, what: "anonymous segment")
            self.base = pointer
            self.mappedLength = length
        } catch {
            _ = system_close(fd)
            throw error
        }
        self.byteCount = byteCount
        self.name = nil
        self.fileDescriptor = fd
        self.inode = Self.inode(of: fd)
        self.ownerPID = system_getpid()
        self.unlinksOnDeinit = false
        self.isReadOnly = false
        self.id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        SegmentRegistry.register(id: id, address: base, byteCount: byteCount, fileDescriptor: fileDescriptor)
    }

    /// Creates a named segment (`O_CREAT | O_EXCL`, mode 0600). The name must start with `/`.
    public init(creatingNamed name: String, byteCount: Int) throws {
        guard byteCount >= 0 else { throw SharedMemoryError.invalidSize(byteCount) }
        guard name.hasPrefix("/"), name.count > 1, !name.dropFirst().contains("/"), name.utf8.count < 96 else {
            throw SharedMemoryError.invalidName(name)
        }
        try Self.checkFreeSpace(byteCount: byteCount)
        let fd = system_shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SharedMemoryError.system(SystemError("shm_open", name)) }
        _ = mp_cleanup_add_segment(name)
        mp_cleanup_install_handlers()
        do {
            try Self.reserve(fd: fd, byteCount: byteCount, what: name)
            let length = max(byteCount, 1)
            self.base = try Self.map(fd: fd, length: length, what: name)
            self.mappedLength = length
        } catch {
            _ = system_close(fd)
            _ = system_shm_unlink(name)
            mp_cleanup_remove_segment(name)
            throw error
        }
        self.byteCount = byteCount
        self.name = name
        self.fileDescriptor = fd
        self.inode = Self.inode(of: fd)
        self.ownerPID = system_getpid()
        self.unlinksOnDeinit = true
        self.isReadOnly = false
        self.id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        SegmentRegistry.register(id: id, address: base, byteCount: byteCount, fileDescriptor: fileDescriptor)
    }

    /// Attaches an existing named segment; this process does not own it and does not unlink it.
    public init(attachingNamed name: String) throws {
        let fd = system_shm_open(name, O_RDWR | O_CLOEXEC, 0)
        guard fd >= 0 else { throw SharedMemoryError.system(SystemError("shm_open", name)) }
        var info = stat()
        guard case .success = nothingOrErrno({ system_fstat(fd, &info) }) else {
            let error = SystemError("fstat", name)
            _ = system_close(fd)
            throw SharedMemoryError.system(error)
        }
        let size = Int(info.st_size)
        do {
            self.base = try Self.map(fd: fd, length: max(size, 1), what: name)
        } catch {
            _ = system_close(fd)
            throw error
        }
        self.mappedLength = max(size, 1)
        self.byteCount = size
        self.name = name
        self.fileDescriptor = fd
        self.inode = UInt64(info.st_ino)
        self.ownerPID = 0
        self.unlinksOnDeinit = false
        self.isReadOnly = false
        self.id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        SegmentRegistry.register(id: id, address: base, byteCount: byteCount, fileDescriptor: fileDescriptor)
    }

    /// Maps the regular file at `path` read-only (`PROT_READ`, `MAP_SHARED`): no copy, no `/dev/shm` name,
    /// and the page cache is the memory. Workers forked later attach the same file read-only through
    /// `/proc/<owner>/fd` (see ``SegmentReference/isReadOnly``). ``byteCount`` is the file's size when mapped.
    ///
    /// Limit: if another process truncates the file while it is mapped, touching the lost pages raises
    /// SIGBUS (a worker dies and its call fails naming the chunk; the owner itself would crash). The size is
    /// checked whenever a process maps it, so a file already shorter is an error, never a fault.
    /// The corresponding C functions are `open`, `fstat` and `mmap`.
    public init(mappingReadOnlyFileAt path: String) throws {
        let fd = system_open(path, O_RDONLY | O_CLOEXEC, 0)
        guard fd >= 0 else { throw SharedMemoryError.system(SystemError("open", path)) }
        var info = stat()
        do {
            guard case .success = nothingOrErrno({ system_fstat(fd, &info) }) else {
                throw SharedMemoryError.system(SystemError("fstat", path))
            }
            guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size >= 0, UInt64(info.st_size) <= UInt64(Int.max) else {
                throw SharedMemoryError.system(SystemError("mmap", path, code: ENODEV))
            }
            let size = Int(info.st_size)
            let length = max(size, 1)
            guard let pointer = system_mmap(length, PROT_READ, MAP_SHARED, fd), pointer != MAP_FAILED else {
                throw SharedMemoryError.system(SystemError("mmap", path))
            }
            self.base = pointer
            self.mappedLength = length
            self.byteCount = size
        } catch {
            _ = system_close(fd)
            throw error
        }
        self.name = nil
        self.fileDescriptor = fd
        self.inode = UInt64(info.st_ino)
        self.ownerPID = system_getpid()
        self.unlinksOnDeinit = false
        self.isReadOnly = true
        self.id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        SegmentRegistry.register(id: id, address: base, byteCount: byteCount, fileDescriptor: fileDescriptor)
    }

    deinit {
        if system_getpid() == mappedBy {
            SegmentRegistry.remove(id: id)
            let (base, length) = (self.base, mappedLength)
            SegmentReleaseLog.unmapAndRecord(id: id, address: UInt(bitPattern: base), byteCount: length) {
                _ = system_munmap(base, length)
            }
        } else {
            _ = system_munmap(base, mappedLength)
        }
        _ = system_close(fileDescriptor)
        if unlinksOnDeinit, let name, system_getpid() == ownerPID {
            _ = system_shm_unlink(name)
            mp_cleanup_remove_segment(name)
        }
    }

    /// The mapped bytes.
    public var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: byteCount) }

    /// Unlinks the name now (the mapping stays valid until this object goes away).
    public func unlink() {
        guard let name, system_getpid() == ownerPID else { return }
        _ = system_shm_unlink(name)
        mp_cleanup_remove_segment(name)
    }

    // MARK: - Names and orphans

    private static let nameCounter = Atomic<UInt64>(0)

    /// A fresh name `/mproc-<pid>-<counter>-<random>` for a named segment.
    public static func uniqueName() -> String {
        let n = nameCounter.wrappingAdd(1, ordering: .relaxed).oldValue
        let salt = UInt32.random(in: 0 ... .max)
        return "/\(namePrefix)\(system_getpid())-\(n)-\(String(salt, radix: 16))"
    }

    /// A named segment in `/dev/shm` created by this package.
    public struct Entry: Sendable, Equatable {
        /// The file name in `/dev/shm` (without the leading `/`).
        public let fileName: String
        /// The pid in its name.
        public let ownerPID: pid_t
        /// Its size in bytes.
        public let byteCount: Int
        /// Whether the owner process no longer exists.
        public let ownerIsDead: Bool
        /// The user that owns the file.
        public let ownerUID: uid_t
        /// The file's inode (a sweep removes only the very file it listed).
        public let inode: UInt64
    }

    /// The package's named segments currently in `directory`: regular files whose name has the exact
    /// form ``uniqueName()`` makes, of any owner. See ``SegmentSweeper`` for what a cleanup removes.
    public static func listSegments(directory: String = "/dev/shm") -> [Entry] {
        SegmentSweeper.scan(directory).compactMap { item in
            guard let pid = item.pid, let info = item.info, info.st_mode & S_IFMT == S_IFREG else { return nil }
            return SegmentSweeper.entry(item.name, pid: pid, info: info, dead: SegmentSweeper.ownerIsDead(pid))
        }
    }

    /// Unlinks this user's named segments whose owner process is dead (``SegmentSweeper``'s default rule);
    /// returns what was removed.
    @discardableResult
    public static func sweepOrphans() -> [Entry] {
        SegmentSweeper.sweep(SegmentSweeper.survey()).removed
    }

    // MARK: - Helpers

    /// Free bytes in the tmpfs behind `/dev/shm`.
    public static func freeSpace(path: String = "/dev/shm") -> Int? {
        var info = statvfs()
        guard case .success = path.withCString({ p in nothingOrErrno { system_statvfs(p, &info) } }) else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// The inode number of the open file `fd` (0 if fstat fails, which then matches no attaching process).
    private static func inode(of fd: Int32) -> UInt64 {
        (try? FileDescriptor(rawValue: fd).status().identity.inode) ?? 0
    }

    /// Anonymous segments from this size on are checked against ``availableMemory()`` before they are made.
    static let memoryCheckMinimumBytes = 1 << 20

    /// Memory the kernel estimates is available for new allocations (`MemAvailable` in /proc/meminfo).
    /// Read by a scan of the file's bytes (a `String` split of the whole file took most of a small array's
    /// allocation).
    public static func availableMemory() -> Int? {
        guard let bytes = try? FileSystem.contents(of: "/proc/meminfo") else { return nil }
        return meminfoKibibytes(bytes, key: "MemAvailable:").flatMap { $0.multipliedReportingOverflow(by: 1024).overflow ? nil : $0 * 1024 }
    }

    /// The number after `key` at the start of a line of /proc/meminfo's `bytes` (kB), or nil.
    static func meminfoKibibytes(_ bytes: [UInt8], key: StaticString) -> Int? {
        let keyBytes = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        var lineStart = 0
        while lineStart < bytes.count {
            let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            if lineEnd - lineStart > keyBytes.count, bytes[lineStart..<(lineStart + keyBytes.count)].elementsEqual(keyBytes) {
                var value = 0, digits = 0
                for byte in bytes[(lineStart + keyBytes.count)..<lineEnd] {
                    if byte == UInt8(ascii: " ") && digits == 0 { continue }
                    guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
                    let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                    let (next, o2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
                    guard !o1, !o2 else { return nil }
                    value = next
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    private static func checkFreeSpace(byteCount: Int) throws {
        if let free = freeSpace(), byteCount > free {
            throw SharedMemoryError.insufficientSpace(requested: byteCount, available: free)
        }
    }

    private static func reserve(fd: Int32, byteCount: Int, what: String) throws {
        guard byteCount > 0 else { return }
        // ftruncate alone reserves nothing on tmpfs; posix_fallocate makes ENOSPC an error now.
        guard case .success = nothingOrErrno({ system_ftruncate(fd, off_t(byteCount)) }) else {
            throw SharedMemoryError.system(SystemError("ftruncate", what))
        }
        let rc = system_posix_fallocate(fd, 0, off_t(byteCount))
        if rc == ENOSPC || rc == ENOMEM || rc == EFBIG {
            throw SharedMemoryError.insufficientSpace(requested: byteCount, available: freeSpace() ?? 0)
        }
        guard rc == 0 else { throw SharedMemoryError.system(SystemError("posix_fallocate", what, code: rc)) }
    }

    private static func map(fd: Int32, length: Int, what: String) throws -> UnsafeMutableRawPointer {
        let pointer = system_mmap(length, PROT_READ | PROT_WRITE, MAP_SHARED, fd)
        guard let pointer, pointer != MAP_FAILED else { throw SharedMemoryError.system(SystemError("mmap", what)) }
        return pointer
    }
}

/// Why a shared-memory segment could not be created or attached.
public enum SharedMemoryError: Error, CustomStringConvertible, Sendable {
    case invalidSize(Int)
    case invalidName(String)
    case insufficientSpace(requested: Int, available: Int)
    case insufficientMemory(requested: Int, available: Int)
    case system(SystemError)

    public var description: String {
        switch self {
        case .invalidSize(let n): "invalid shared-memory size \(n) bytes"
        case .invalidName(let name):
            "invalid shared-memory name '\(name)': it must start with '/', contain no other '/', and be under 96 bytes"
        case .insufficientSpace(let requested, let available):
            "not enough shared memory: need \(formatBytes(requested)), /dev/shm has \(formatBytes(available)) free"
        case .insufficientMemory(let requested, let available):
            "not enough memory for a shared array of \(formatBytes(requested)): \(formatBytes(available)) available"
        case .system(let error): error.description
        }
    }
}

/// Formats a byte count for people: "1.5 GiB".
public func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    if unit == 0 { return "\(bytes) B" }
    let rounded = (value * 10).rounded() / 10
    return "\(rounded) \(units[unit])"
}
