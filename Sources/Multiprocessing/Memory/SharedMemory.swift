#if canImport(Glibc)
import Glibc
#endif
import CSystem
import Synchronization

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
    /// The pid of the process that created this segment.
    public let ownerPID: pid_t
    private let mappedLength: Int
    /// The process that made this mapping (forked children share the object but not the duty to free it).
    private let mappedBy: pid_t = getpid()
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
        // invite the OOM killer.
        if let available = Self.availableMemory(), byteCount > available {
            throw SharedMemoryError.insufficientMemory(requested: byteCount, available: available)
        }
        let fd = mp_memfd_create("mproc-array", 1)
        guard fd >= 0 else { throw SharedMemoryError.system(SystemError("memfd_create", "mproc-array")) }
        do {
            // Only set the size: a memfd lives on the kernel's internal shmem mount, which has no size
            // limit of its own (the MemAvailable check above is the guard), so nothing can SIGBUS for
            // lack of tmpfs space. Reserving with posix_fallocate would zero every page here, in one
            // thread; left alone, the workers zero their own chunks in parallel on first touch.
            guard ftruncate(fd, off_t(byteCount)) == 0 else {
                throw byteCount > 0 && mp_errno() == EFBIG
                    ? SharedMemoryError.system(SystemError("ftruncate", "anonymous segment (file size limit)"))
                    : SharedMemoryError.system(SystemError("ftruncate", "anonymous segment"))
            }
            let length = max(byteCount, 1)
            let pointer = try Self.map(fd: fd, length: length, what: "anonymous segment")
            self.base = pointer
            self.mappedLength = length
        } catch {
            close(fd)
            throw error
        }
        self.byteCount = byteCount
        self.name = nil
        self.fileDescriptor = fd
        self.ownerPID = getpid()
        self.unlinksOnDeinit = false
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
        let fd = mp_shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SharedMemoryError.system(SystemError("shm_open", name)) }
        _ = mp_cleanup_add_segment(name)
        mp_cleanup_install_handlers()
        do {
            try Self.reserve(fd: fd, byteCount: byteCount, what: name)
            let length = max(byteCount, 1)
            self.base = try Self.map(fd: fd, length: length, what: name)
            self.mappedLength = length
        } catch {
            close(fd)
            shm_unlink(name)
            mp_cleanup_remove_segment(name)
            throw error
        }
        self.byteCount = byteCount
        self.name = name
        self.fileDescriptor = fd
        self.ownerPID = getpid()
        self.unlinksOnDeinit = true
        self.id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        SegmentRegistry.register(id: id, address: base, byteCount: byteCount, fileDescriptor: fileDescriptor)
    }

    /// Attaches an existing named segment; this process does not own it and does not unlink it.
    public init(attachingNamed name: String) throws {
        let fd = mp_shm_open(name, O_RDWR | O_CLOEXEC, 0)
        guard fd >= 0 else { throw SharedMemoryError.system(SystemError("shm_open", name)) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = SystemError("fstat", name)
            close(fd)
            throw SharedMemoryError.system(error)
        }
        let size = Int(info.st_size)
        do {
            self.base = try Self.map(fd: fd, length: max(size, 1), what: name)
        } catch {
            close(fd)
            throw error
        }
        self.mappedLength = max(size, 1)
        self.byteCount = size
        self.name = name
        self.fileDescriptor = fd
        self.ownerPID = 0
        self.unlinksOnDeinit = false
        self.id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        SegmentRegistry.register(id: id, address: base, byteCount: byteCount, fileDescriptor: fileDescriptor)
    }

    deinit {
        if getpid() == mappedBy {
            SegmentRegistry.remove(id: id)
            let (base, length) = (self.base, mappedLength)
            SegmentReleaseLog.unmapAndRecord(id: id, address: UInt(bitPattern: base), byteCount: length) {
                _ = munmap(base, length)
            }
        } else {
            munmap(base, mappedLength)
        }
        close(fileDescriptor)
        if unlinksOnDeinit, let name, getpid() == ownerPID {
            shm_unlink(name)
            mp_cleanup_remove_segment(name)
        }
    }

    /// The mapped bytes.
    public var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: byteCount) }

    /// Unlinks the name now (the mapping stays valid until this object goes away).
    public func unlink() {
        guard let name, getpid() == ownerPID else { return }
        shm_unlink(name)
        mp_cleanup_remove_segment(name)
    }

    // MARK: - Names and orphans

    private static let nameCounter = Atomic<UInt64>(0)

    /// A fresh name `/mproc-<pid>-<counter>-<random>` for a named segment.
    public static func uniqueName() -> String {
        let n = nameCounter.wrappingAdd(1, ordering: .relaxed).oldValue
        let salt = UInt32.random(in: 0 ... .max)
        return "/\(namePrefix)\(getpid())-\(n)-\(String(salt, radix: 16))"
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
    }

    /// The package's named segments currently in `/dev/shm`.
    public static func listSegments(directory: String = "/dev/shm") -> [Entry] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var entries: [Entry] = []
        while let entry = readdir(dir) {
            let fileName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard fileName.hasPrefix(namePrefix) else { continue }
            let rest = fileName.dropFirst(namePrefix.count)
            guard let pidText = rest.split(separator: "-").first, let pid = pid_t(pidText) else { continue }
            var info = stat()
            let size = stat("\(directory)/\(fileName)", &info) == 0 ? Int(info.st_size) : 0
            let dead = kill(pid, 0) != 0 && mp_errno() == ESRCH
            entries.append(Entry(fileName: fileName, ownerPID: pid, byteCount: size, ownerIsDead: dead))
        }
        return entries.sorted { $0.fileName < $1.fileName }
    }

    /// Unlinks the package's named segments whose owner process is dead; returns what was removed.
    @discardableResult
    public static func sweepOrphans() -> [Entry] {
        var removed: [Entry] = []
        for entry in listSegments() where entry.ownerIsDead {
            if shm_unlink("/" + entry.fileName) == 0 { removed.append(entry) }
        }
        return removed
    }

    // MARK: - Helpers

    /// Free bytes in the tmpfs behind `/dev/shm`.
    public static func freeSpace(path: String = "/dev/shm") -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// Memory the kernel estimates is available for new allocations (`MemAvailable` in /proc/meminfo).
    public static func availableMemory() -> Int? {
        guard let file = fopen("/proc/meminfo", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, 256, file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("MemAvailable:") else { continue }
            let digits = text.dropFirst("MemAvailable:".count).filter(\.isNumber)
            return Int(digits).map { $0 * 1024 }
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
        guard ftruncate(fd, off_t(byteCount)) == 0 else {
            throw SharedMemoryError.system(SystemError("ftruncate", what))
        }
        let rc = posix_fallocate(fd, 0, off_t(byteCount))
        if rc == ENOSPC || rc == ENOMEM || rc == EFBIG {
            throw SharedMemoryError.insufficientSpace(requested: byteCount, available: freeSpace() ?? 0)
        }
        guard rc == 0 else { throw SharedMemoryError.system(SystemError("posix_fallocate", what, code: rc)) }
    }

    private static func map(fd: Int32, length: Int, what: String) throws -> UnsafeMutableRawPointer {
        let pointer = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
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
