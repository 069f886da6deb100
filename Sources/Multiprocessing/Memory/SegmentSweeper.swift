#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Finds and removes named segments that mproc processes left in `/dev/shm` when they died (a SIGKILL
/// leaves no chance to unlink), and only those.
///
/// An entry is removable when all of these hold:
/// - its name has the exact form ``SharedMemory/uniqueName()`` makes: `mproc-<pid>-<counter>-<salt>`
///   (decimal pid and counter, a salt of 1-16 lowercase letters or digits);
/// - it is a regular file (checked without following a symbolic link);
/// - it belongs to the caller's user (unless `allUsers`, which root uses to sweep for everyone);
/// - the process in its name no longer exists.
///
/// A dry run and a real run share ``survey(directory:allUsers:)``, so they list the same entries.
///
/// ```swift
/// let survey = SegmentSweeper.survey()
/// let result = SegmentSweeper.sweep(survey)   // result.failures: what could not be removed, and why
/// ```
public enum SegmentSweeper {
    /// An entry left in place, and why.
    public struct Skipped: Sendable, Equatable {
        /// The file name in the directory.
        public let fileName: String
        /// Why it is not removed (e.g. "a symbolic link, not a regular file").
        public let reason: String
    }

    /// What a sweep would do: the removable segments, and the mproc-looking entries it leaves alone.
    public struct Survey: Sendable, Equatable {
        /// The directory surveyed.
        public let directory: String
        /// Orphaned segments a sweep removes.
        public let removable: [SharedMemory.Entry]
        /// Entries whose name starts with `mproc-` that a sweep leaves alone (live owners excluded).
        public let skipped: [Skipped]
    }

    /// A segment that could not be removed.
    public struct Failure: Sendable, Equatable {
        public let entry: SharedMemory.Entry
        /// The errno text.
        public let reason: String
    }

    /// What a sweep did.
    public struct Result: Sendable, Equatable {
        public let removed: [SharedMemory.Entry]
        public let failures: [Failure]
    }

    /// Lists what a sweep of `directory` would remove and what it would leave.
    /// - Parameter allUsers: also take segments of other users (root's `mproc cleanup --all-users`).
    public static func survey(directory: String = "/dev/shm", allUsers: Bool = false) -> Survey {
        var removable: [SharedMemory.Entry] = []
        var skipped: [Skipped] = []
        let me = geteuid()
        for item in scan(directory) {
            guard let pid = item.pid else {
                skipped.append(Skipped(fileName: item.name, reason: "not an mproc segment name"))
                continue
            }
            guard let info = item.info else {
                skipped.append(Skipped(fileName: item.name, reason: "cannot inspect it: \(item.error ?? "unknown error")"))
                continue
            }
            let dead = ownerIsDead(pid)
            if !dead { continue }  // in use
            let type = info.st_mode & S_IFMT
            if type != S_IFREG {
                skipped.append(Skipped(fileName: item.name, reason: "\(describeFileType(UInt32(info.st_mode))), not a regular file"))
                continue
            }
            if info.st_uid != me && !allUsers {
                skipped.append(Skipped(
                    fileName: item.name,
                    reason: "owned by uid \(info.st_uid), not by you (root removes it with --all-users)"))
                continue
            }
            removable.append(entry(item.name, pid: pid, info: info, dead: dead))
        }
        return Survey(directory: directory, removable: removable, skipped: skipped)
    }

    /// Removes the survey's removable segments; each one that cannot be removed is a failure with the reason.
    /// An entry is checked again just before it is unlinked (still a regular file, same inode and owner).
    public static func sweep(_ survey: Survey) -> Result {
        var removed: [SharedMemory.Entry] = []
        var failures: [Failure] = []
        let opened = survey.directory.withCString { p in
            valueOrErrno { system_open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) }
        }
        let directoryFD: Int32
        switch opened {
        case .success(let fd): directoryFD = fd
        case .failure(let error):
            return Result(removed: [], failures: survey.removable.map { Failure(entry: $0, reason: "\(error)") })
        }
        defer { _ = system_close(directoryFD) }
        for entry in survey.removable {
            var info = stat()
            let checked = entry.fileName.withCString { name in
                nothingOrErrno { system_fstatat(directoryFD, name, &info, AT_SYMLINK_NOFOLLOW) }
            }
            if case .failure(let error) = checked {
                if error != .noSuchFileOrDirectory { failures.append(Failure(entry: entry, reason: "\(error)")) }
                continue  // gone already: nothing to do
            }
            guard info.st_mode & S_IFMT == S_IFREG, UInt64(info.st_ino) == entry.inode, info.st_uid == entry.ownerUID else {
                failures.append(Failure(entry: entry, reason: "it was replaced since it was listed"))
                continue
            }
            let unlinked = entry.fileName.withCString { name in
                nothingOrErrno { system_unlinkat(directoryFD, name, 0) }
            }
            switch unlinked {
            case .success: removed.append(entry)
            case .failure(.noSuchFileOrDirectory): continue
            case .failure(let error): failures.append(Failure(entry: entry, reason: "\(error)"))
            }
        }
        return Result(removed: removed, failures: failures)
    }

    // MARK: - Names and entries

    /// The owner pid if `fileName` has the exact form of ``SharedMemory/uniqueName()`` (without its `/`).
    public static func ownerPID(ofSegmentNamed fileName: String) -> pid_t? {
        guard fileName.hasPrefix(SharedMemory.namePrefix) else { return nil }
        let parts = fileName.dropFirst(SharedMemory.namePrefix.count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let isDecimal: (Substring) -> Bool = { part in
            !part.isEmpty && part.count <= 19 && part.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        }
        let salt = parts[2].utf8
        guard isDecimal(parts[0]), isDecimal(parts[1]), (1...16).contains(salt.count),
              salt.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) }),
              let pid = pid_t(parts[0]), pid > 0
        else { return nil }
        return pid
    }

    /// Whether no process has this pid (`kill(pid, 0)` fails with ESRCH).
    static func ownerIsDead(_ pid: pid_t) -> Bool {
        if case .failure(.noSuchProcess) = nothingOrErrno({ system_kill(pid, 0) }) { return true }
        return false
    }

    struct ScannedItem {
        var name: String
        var pid: pid_t?
        var info: stat?
        var error: String?
    }

    /// Every entry of `directory` whose name starts with `mproc-`, with its lstat and the pid in its name.
    static func scan(_ directory: String) -> [ScannedItem] {
        guard let dir = directory.withCString({ system_opendir($0) }) else { return [] }
        defer { _ = system_closedir(dir) }
        let fd = dirfd(dir)
        var items: [ScannedItem] = []
        while let entry = system_readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix(SharedMemory.namePrefix) else { continue }
            var info = stat()
            let result = name.withCString { p in nothingOrErrno { system_fstatat(fd, p, &info, AT_SYMLINK_NOFOLLOW) } }
            switch result {
            case .success:
                items.append(ScannedItem(name: name, pid: ownerPID(ofSegmentNamed: name), info: info))
            case .failure(.noSuchFileOrDirectory):
                continue
            case .failure(let error):
                items.append(ScannedItem(name: name, pid: ownerPID(ofSegmentNamed: name), error: "\(error)"))
            }
        }
        return items.sorted { $0.name < $1.name }
    }

    static func entry(_ name: String, pid: pid_t, info: stat, dead: Bool) -> SharedMemory.Entry {
        SharedMemory.Entry(
            fileName: name, ownerPID: pid, byteCount: Int(info.st_size), ownerIsDead: dead, ownerUID: info.st_uid,
            inode: UInt64(info.st_ino))
    }
}
