import Foundation
import XCTest

/// Helpers for the .npy tests: a temporary directory per test and python3 (numpy) as the reference.
enum NpyTestSupport {
    /// Whether `python3 -c "import numpy"` works; checked once.
    static let pythonAvailable: Bool = {
        (try? run(["python3", "-c", "import numpy"], in: FileManager.default.temporaryDirectory.path)) != nil
    }()

    /// Throws XCTSkip when python3 with numpy is missing.
    static func requirePython() throws {
        if !pythonAvailable {
            throw XCTSkip("python3 with numpy is not installed: skipping the numpy cross-check (run `make test`, which installs them)")
        }
    }

    /// Runs python3 `script` in `directory`; throws with its stderr on a non-zero exit.
    static func python(_ script: String, in directory: String) throws {
        try requirePython()
        try run(["python3", "-c", script], in: directory)
    }

    struct CommandFailed: Error, CustomStringConvertible {
        let description: String
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailed(description: "\(arguments.prefix(2).joined(separator: " ")) failed (\(process.terminationStatus)): "
                + String(decoding: err, as: UTF8.self))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A fresh temporary directory; remove it with `removeDirectory`.
    static func makeDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("npy-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func removeDirectory(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Reads a raw little-endian float64 file (written by numpy's `astype('<f8').tofile`).
    static func readFloat64(_ path: String) throws -> [Double] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
        }
    }
}
