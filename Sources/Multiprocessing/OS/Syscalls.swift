#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing
import SystemPackage

// Every raw file-system call of the OS layer goes through this file (swift-system's
// `Internals/Syscalls.swift` style), so the surface that touches the OS is greppable in one place.
// swift-system's `FileDescriptor` covers open/read/write/pread/pwrite/ftruncate/close; what it lacks
// (fsync, fchmod, rename, unlink, lstat, directories) is here. Callers use `valueOrErrno` /
// `nothingOrErrno`, which turn -1 into a typed `Errno` and retry EINTR.

internal func system_open(_ path: UnsafePointer<CChar>, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}

internal func system_close(_ fd: Int32) -> Int32 { close(fd) }

internal func system_fsync(_ fd: Int32) -> Int32 { fsync(fd) }

internal func system_fchmod(_ fd: Int32, _ mode: mode_t) -> Int32 { fchmod(fd, mode) }

internal func system_fstat(_ fd: Int32, _ info: inout stat) -> Int32 { fstat(fd, &info) }

internal func system_lstat(_ path: UnsafePointer<CChar>, _ info: inout stat) -> Int32 { lstat(path, &info) }

internal func system_stat(_ path: UnsafePointer<CChar>, _ info: inout stat) -> Int32 { stat(path, &info) }

internal func system_fstatat(_ dirfd: Int32, _ path: UnsafePointer<CChar>, _ info: inout stat, _ flags: Int32) -> Int32 {
    fstatat(dirfd, path, &info, flags)
}

internal func system_unlinkat(_ dirfd: Int32, _ path: UnsafePointer<CChar>, _ flags: Int32) -> Int32 {
    unlinkat(dirfd, path, flags)
}

internal func system_rename(_ from: UnsafePointer<CChar>, _ to: UnsafePointer<CChar>) -> Int32 { rename(from, to) }

internal func system_unlink(_ path: UnsafePointer<CChar>) -> Int32 { unlink(path) }

internal func system_readlink(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<CChar>, _ size: Int) -> Int {
    readlink(path, buffer, size)
}

internal func system_pread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int, _ offset: off_t) -> Int {
    pread(fd, buffer, count, offset)
}

internal func system_pwrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int, _ offset: off_t) -> Int {
    pwrite(fd, buffer, count, offset)
}

internal func system_read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

internal func system_copy_file_range(_ input: Int32, _ inputOffset: inout Int64, _ output: Int32,
                                      _ outputOffset: inout Int64, _ length: UInt64) -> Int64 {
    mp_copy_file_range(input, &inputOffset, output, &outputOffset, length)
}

internal func system_ftruncate(_ fd: Int32, _ length: off_t) -> Int32 { ftruncate(fd, length) }

internal func system_realpath(_ path: UnsafePointer<CChar>) -> UnsafeMutablePointer<CChar>? { realpath(path, nil) }

internal func system_getpid() -> pid_t { getpid() }

internal func system_shm_open(_ name: String, _ flags: Int32, _ mode: mode_t) -> Int32 { mp_shm_open(name, flags, mode) }

internal func system_shm_unlink(_ name: String) -> Int32 { shm_unlink(name) }

/// A close-on-exec memfd.
internal func system_memfd_create(_ name: String) -> Int32 { mp_memfd_create(name, 1) }

/// posix_fallocate returns its error instead of setting errno; EINTR (a signal during a large
/// reservation) is retried here.
internal func system_posix_fallocate(_ fd: Int32, _ offset: off_t, _ length: off_t) -> Int32 {
    while true {
        let rc = posix_fallocate(fd, offset, length)
        if rc != EINTR { return rc }
    }
}

internal func system_mmap(_ length: Int, _ protection: Int32, _ flags: Int32, _ fd: Int32) -> UnsafeMutableRawPointer? {
    mmap(nil, length, protection, flags, fd, 0)
}

internal func system_munmap(_ address: UnsafeMutableRawPointer, _ length: Int) -> Int32 { munmap(address, length) }

internal func system_statvfs(_ path: UnsafePointer<CChar>, _ info: inout statvfs) -> Int32 { statvfs(path, &info) }

internal func system_kill(_ pid: pid_t, _ signal: Int32) -> Int32 { kill(pid, signal) }

internal func system_getuid() -> uid_t { getuid() }

internal func system_umask(_ mask: mode_t) -> mode_t { umask(mask) }

internal func system_opendir(_ path: UnsafePointer<CChar>) -> OpaquePointer? { opendir(path) }

internal func system_readdir(_ dir: OpaquePointer) -> UnsafeMutablePointer<dirent>? { readdir(dir) }

internal func system_closedir(_ dir: OpaquePointer) -> Int32 { closedir(dir) }

/// The calling thread's errno as a typed value.
internal var currentErrno: Errno { Errno(rawValue: errno) }

/// Runs `body` until it does not fail with EINTR (unless `retryOnInterrupt` is false); -1 becomes the errno.
internal func valueOrErrno<I: FixedWidthInteger>(
    retryOnInterrupt: Bool = true, _ body: () -> I
) -> Result<I, Errno> {
    while true {
        let result = body()
        if result != -1 { return .success(result) }
        let error = currentErrno
        if retryOnInterrupt && error == .interrupted { continue }
        return .failure(error)
    }
}

/// ``valueOrErrno(retryOnInterrupt:_:)`` for calls whose only result is success or failure.
internal func nothingOrErrno<I: FixedWidthInteger>(
    retryOnInterrupt: Bool = true, _ body: () -> I
) -> Result<Void, Errno> {
    valueOrErrno(retryOnInterrupt: retryOnInterrupt, body).map { _ in () }
}
