#if canImport(Glibc)
import Glibc
#endif
import CMultiprocessing
import SystemPackage

/// An output file that appears at its destination complete or not at all, and that never writes
/// through a symbolic link: every writer of the package (`.npy` and HDF5 saves, batch summaries,
/// `mproc gen`, `mproc map`) goes through it.
///
/// - The data goes to a new file in the destination's directory under an unpredictable name
///   (`.NAME.<16 random hex digits>.tmp`, from the system's random source), created with
///   `O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC` and mode 0600, so a name planted in a shared (1777)
///   directory is never opened and the half-written data is private.
/// - The temporary file is registered with the signal-safe cleanup, so SIGINT, SIGTERM or SIGHUP
///   remove it; every error path removes it too.
/// - ``commit()`` fsyncs it, gives it the final mode (`0666 & ~umask`), renames it over the
///   destination and fsyncs the directory: the previous output stays intact until that rename.
/// - A destination that exists and is not a regular file (a symbolic link, directory, FIFO, device
///   or socket) is refused before anything is written, and again just before the rename.
///
/// ```swift
/// try AtomicOutputFile.write(to: "summary.csv") { file in try file.write(Array(text.utf8)) }
/// ```
public final class AtomicOutputFile {
    /// The path the caller asked for.
    public let destination: String
    /// The temporary file's path (in the destination's directory) while the output is being written.
    public let temporaryPath: String
    /// The temporary file, open for reading and writing. Owned by this object: do not close it.
    public let descriptor: FileDescriptor
    /// The temporary file's device and inode, for processes that reopen it by name.
    public let identity: FileIdentity
    private var state = State.open
    /// The permission bits of the file ``copyContents(of:)`` copied, which ``commit()`` keeps.
    private var copiedPermissions: mode_t?

    private enum State { case open, committed, discarded }

    /// Creates the temporary file beside `destination` after checking that `destination` is absent
    /// or a regular file. Nothing is written at `destination` until ``commit()``.
    public init(destination: String) throws {
        try Self.checkDestination(destination)
        let (directory, name) = Self.split(destination)
        guard !name.isEmpty else {
            throw OutputFileError(.notRegularFile, path: destination, "names a directory; give a file name for the output")
        }
        mp_cleanup_install_handlers()
        var lastError = Errno.fileExists
        for _ in 0..<16 {
            let candidate = (directory == "/" ? "/" : directory + "/") + "." + Self.shortened(name) + "."
                + Self.randomHex() + ".tmp"
            // Registered before it exists, so a signal can never leave it behind. The name is random: a
            // signal before the open removes nothing, and a name that exists already (which no one could
            // have predicted) is deregistered at once.
            let registered = mp_cleanup_add_file(candidate) >= 0
            let opened = candidate.withCString { path in
                valueOrErrno { system_open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
            }
            switch opened {
            case .success(let fd):
                var info = stat()
                if case .failure(let error) = nothingOrErrno({ system_fstat(fd, &info) }) {
                    _ = candidate.withCString { system_unlink($0) }
                    _ = system_close(fd)
                    if registered { mp_cleanup_remove_file(candidate) }
                    throw OutputFileError(.systemCall, path: destination, "cannot inspect the temporary file: \(error)", errno: error)
                }
                self.destination = destination
                self.temporaryPath = candidate
                self.descriptor = FileDescriptor(rawValue: fd)
                self.identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
                return
            case .failure(let error):
                if registered { mp_cleanup_remove_file(candidate) }
                lastError = error
                if error == .fileExists { continue }
                throw OutputFileError(
                    .systemCall, path: destination, "cannot write to \(directory): \(error)", errno: error)
            }
        }
        throw OutputFileError(
            .systemCall, path: destination, "cannot write to \(directory): \(lastError)", errno: lastError)
    }

    deinit { discard() }

    /// Writes `body`'s output to a new ``AtomicOutputFile`` and commits it; on any error the
    /// temporary file is removed and `destination` is left as it was.
    public static func write<R>(to destination: String, _ body: (AtomicOutputFile) throws -> R) throws -> R {
        let output = try AtomicOutputFile(destination: destination)
        do {
            let result = try body(output)
            try output.commit()
            return result
        } catch {
            output.discard()
            throw error
        }
    }

    /// A path that reaches the temporary file itself, for libraries that open files by name (HDF5):
    /// `/proc/self/fd/N` names this descriptor's file, not whatever is at a name in the directory.
    /// Valid in this process only; falls back to ``temporaryPath`` where `/proc` is not mounted.
    public var pathForLibraries: String {
        descriptor.pathForLibraries ?? temporaryPath
    }

    // MARK: - Writing

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) throws {
        guard state == .open else { throw finishedError() }
        do {
            try descriptor.write(all: bytes, toAbsoluteOffset: offset)
        } catch {
            throw writeError(error, "writing \(bytes.count) bytes at offset \(offset) failed")
        }
    }

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: [UInt8], at offset: Int = 0) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    /// Sets the file's size (new bytes read as zero).
    public func resize(to byteCount: Int) throws {
        guard state == .open else { throw finishedError() }
        if case .failure(let error) = nothingOrErrno({ system_ftruncate(descriptor.rawValue, off_t(byteCount)) }) {
            throw writeError(error, "cannot set the file's size to \(byteCount) bytes")
        }
    }

    /// Fills the temporary file with a copy of the regular file at `source` (opened read-only, without
    /// following a symbolic link), so an update keeps what the existing output held; ``commit()`` then
    /// gives the output `source`'s permission bits (`rwx` for owner, group, others) instead of the default.
    /// The bytes are copied in the kernel (`copy_file_range`, which shares extents on file systems that can)
    /// and through a buffer where that is not possible.
    public func copyContents(of source: String) throws {
        guard state == .open else { throw finishedError() }
        let input = try Self.openRegularFile(source, reportingAs: source)
        defer { _ = system_close(input) }
        var info = stat()
        if case .failure(let error) = nothingOrErrno({ system_fstat(input, &info) }) {
            throw OutputFileError(.systemCall, path: source, "cannot inspect: \(error)", errno: error)
        }
        copiedPermissions = info.st_mode & 0o777
        var inputOffset: Int64 = 0, outputOffset: Int64 = 0
        kernelCopy: while true {
            let copied = valueOrErrno {
                system_copy_file_range(input, &inputOffset, descriptor.rawValue, &outputOffset, 1 << 30)
            }
            switch copied {
            case .success(0): break kernelCopy
            case .success: continue
            case .failure(.noFunction), .failure(.improperLink), .failure(Errno.invalidArgument), .failure(.notSupported),
                 .failure(.badFileDescriptor):
                break kernelCopy
            case .failure(let error): throw writeError(error, "copying \(source) failed")
            }
        }
        // Whatever the kernel did not copy (not supported here, or a file system that stops early).
        guard inputOffset == outputOffset else {
            throw writeError(.ioError, "copying \(source) went out of step at byte \(inputOffset)")
        }
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        var offset = Int(inputOffset)
        while true {
            let n: Int
            switch valueOrErrno({ system_pread(input, buffer, size, off_t(offset)) }) {
            case .success(let count): n = count
            case .failure(let error):
                throw OutputFileError(.systemCall, path: source, "cannot read: \(error)", errno: error)
            }
            if n == 0 { break }
            try write(UnsafeRawBufferPointer(start: buffer, count: n), at: offset)
            offset += n
        }
    }

    // MARK: - Finishing

    /// Makes the output visible: fsync, mode `0666 & ~umask` (or the copied file's, see
    /// ``copyContents(of:)``), rename over ``destination``, fsync of the
    /// directory. On failure before the rename the temporary file is removed and the error thrown.
    public func commit() throws {
        guard state == .open else { throw finishedError() }
        let fd = descriptor.rawValue
        do {
            do {
                try descriptor.synchronize()
            } catch {
                throw writeError(error, "fsync failed")
            }
            do {
                try descriptor.setPermissions(UInt32(copiedPermissions ?? (0o666 & ~Self.currentUmask())))
            } catch {
                throw writeError(error, "cannot set the file's mode")
            }
            // Checked again: the destination may have changed while the output was being written.
            try Self.checkDestination(destination)
            let renamed = temporaryPath.withCString { from in
                destination.withCString { to in nothingOrErrno { system_rename(from, to) } }
            }
            if case .failure(let error) = renamed {
                throw OutputFileError(
                    .systemCall, path: destination, "cannot rename \(temporaryPath) to it: \(error)", errno: error)
            }
        } catch {
            discard()
            throw error
        }
        state = .committed
        mp_cleanup_remove_file(temporaryPath)
        _ = system_close(fd)
        try Self.syncDirectory(of: destination)
    }

    /// Removes the temporary file and closes it (nothing happens at ``destination``). Safe to call twice.
    public func discard() {
        guard state == .open else { return }
        state = .discarded
        _ = temporaryPath.withCString { system_unlink($0) }
        mp_cleanup_remove_file(temporaryPath)
        _ = system_close(descriptor.rawValue)
    }

    // MARK: - Checks

    /// Throws unless `path` is absent or a regular file (checked with `lstat`: a symbolic link is
    /// refused whatever it points to). Call it before expensive work so a bad output fails fast.
    public static func checkDestination(_ path: String) throws {
        guard !path.isEmpty else { throw OutputFileError(.notRegularFile, path: path, "the output needs a file name") }
        var info = stat()
        switch path.withCString({ p in nothingOrErrno { system_lstat(p, &info) } }) {
        case .success:
            let type = info.st_mode & S_IFMT
            if type == S_IFREG { return }
            if type == S_IFLNK {
                throw OutputFileError(
                    .notRegularFile, path: path,
                    "is a symbolic link; refusing to write through or replace it (remove it or choose another name)")
            }
            throw OutputFileError(
                .notRegularFile, path: path,
                "is \(describeFileType(UInt32(info.st_mode))), not a regular file; refusing to replace it")
        case .failure(.noSuchFileOrDirectory):
            return
        case .failure(let error):
            throw OutputFileError(.systemCall, path: path, "cannot check the output path: \(error)", errno: error)
        }
    }

    /// Checks that `destination` could be written (its type, and that a file can be created in its
    /// directory) by creating and removing a temporary file there.
    public static func checkWritable(_ destination: String) throws {
        try AtomicOutputFile(destination: destination).discard()
    }

    /// Opens a temporary file (or any file) for writing by name in another process, without following a
    /// symbolic link, and only if it is still the file `identity` names; the caller closes it.
    public static func reopenForWriting(_ path: String, identity: FileIdentity) throws -> FileDescriptor {
        let opened = path.withCString { p in valueOrErrno { system_open(p, O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0) } }
        let fd: Int32
        switch opened {
        case .success(let value): fd = value
        case .failure(let error):
            throw OutputFileError(.systemCall, path: path, "cannot open for writing: \(error)", errno: error)
        }
        var info = stat()
        guard system_fstat(fd, &info) == 0, UInt64(info.st_dev) == identity.device,
              UInt64(info.st_ino) == identity.inode
        else {
            _ = system_close(fd)
            throw OutputFileError(.notRegularFile, path: path, "was replaced while it was being written")
        }
        return FileDescriptor(rawValue: fd)
    }

    /// The process's file-creation mask. Read from `/proc/self/status` (`Umask:`, Linux 4.7+), which
    /// changes nothing; where that is missing, set and restored with `umask(2)`, during which another
    /// thread creating a file would get a stricter (never a looser) mode.
    public static func currentUmask() -> mode_t {
        if let status = try? FileSystem.contents(of: "/proc/self/status") {
            for line in String(decoding: status, as: UTF8.self).split(separator: "\n") where line.hasPrefix("Umask:") {
                let digits = line.dropFirst("Umask:".count).filter { $0 != " " && $0 != "\t" }
                if let mask = mode_t(digits, radix: 8) { return mask & 0o777 }
            }
        }
        let old = system_umask(0o077)
        _ = system_umask(old)
        return old
    }

    // MARK: - Helpers

    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// `name` cut so the temporary name stays within the 255-byte limit of a file name.
    private static func shortened(_ name: String) -> String {
        var result = ""
        for character in name {
            if result.utf8.count + String(character).utf8.count > 233 { break }
            result.append(character)
        }
        return result
    }

    private static func randomHex() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    private static func syncDirectory(of path: String) throws {
        let directory = split(path).directory
        let opened = directory.withCString { p in valueOrErrno { system_open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) } }
        guard case .success(let fd) = opened else { return }
        defer { _ = system_close(fd) }
        switch nothingOrErrno({ system_fsync(fd) }) {
        case .success: return
        case .failure(let error) where error.rawValue == EINVAL || error.rawValue == ENOTSUP:
            return  // a file system that cannot sync directories
        case .failure(let error):
            throw OutputFileError(.systemCall, path: path, "fsync of directory \(directory) failed: \(error)", errno: error)
        }
    }

    static func openRegularFile(_ path: String, reportingAs name: String) throws -> Int32 {
        let opened = path.withCString { p in valueOrErrno { system_open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0) } }
        let fd: Int32
        switch opened {
        case .success(let value): fd = value
        case .failure(.tooManySymbolicLinkLevels):
            throw OutputFileError(.notRegularFile, path: name, "is a symbolic link; refusing to read through it")
        case .failure(let error):
            throw OutputFileError(.systemCall, path: name, "cannot open: \(error)", errno: error)
        }
        var info = stat()
        guard system_fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            _ = system_close(fd)
            throw OutputFileError(.notRegularFile, path: name, "is not a regular file")
        }
        return fd
    }

    private func writeError(_ error: Errno, _ what: String) -> OutputFileError {
        OutputFileError(.systemCall, path: destination, "\(what): \(error)", errno: error)
    }

    private func finishedError() -> OutputFileError {
        OutputFileError(.systemCall, path: destination, "the output was already \(state == .committed ? "committed" : "discarded")")
    }
}

/// A file's identity (device and inode): the same file whatever name reaches it.
public struct FileIdentity: Sendable, Hashable, Codable, BitwiseCopyable {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }
}
