#if canImport(Glibc)
import Glibc
#endif
import Foundation
import XCTest

/// Runs the `mproc` executable built beside the test bundle, as a user would.
struct CLI {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
        }
    }

    static var executable: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("mproc").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        for path in Bundle.allBundles.map({ $0.bundleURL.deletingLastPathComponent().appendingPathComponent("mproc").path })
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return ".build/debug/mproc"
    }

    /// The repository root (for datasets/).
    static var root: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    static func run(_ arguments: [String], timeout: TimeInterval = 120) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while the process runs so that a full pipe cannot block it.
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            outData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Numbers computed by numpy for comparison (nil when python3 with numpy is missing).
    static func numpy(_ script: String) throws -> [String: Double]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import json, numpy as np, sys\n" + script]
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }
}

/// A temporary directory removed at the end of a test.
final class TemporaryDirectory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "mproc-cli-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

/// Names in /dev/shm created by this package.
func packageSegments() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []).filter { $0.hasPrefix("mproc-") }
}

/// Worker processes whose parent is gone: reparented to init or to a subreaper above this test process
/// (where an orphan of a CLI run by the test ends up). Workers of other live programs on the machine,
/// such as notebooks running at the same time, are not orphans.
func orphanedWorkers() -> [Int32] {
    var adopters: Set<Int32> = [1]
    var next: Int32? = getppid()
    while let pid = next, pid > 1, !adopters.contains(pid) {
        adopters.insert(pid)
        next = processStatus(pid)?.ppid
    }
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { pid in
        guard let status = processStatus(pid), status.name.hasPrefix("mproc-worker"), status.state != "Z" else { return false }
        return adopters.contains(status.ppid)
    }
}

/// A process's name, state and parent, from /proc/<pid>/stat.
private func processStatus(_ pid: Int32) -> (name: Substring, state: Substring, ppid: Int32)? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
    else { return nil }
    let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
    guard fields.count > 1, let ppid = Int32(fields[1]) else { return nil }
    return (stat[stat.index(after: open)..<close], fields[0], ppid)
}
