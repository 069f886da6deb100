import Foundation
import XCTest

/// Shared test helpers: python3 (numpy, h5py) as an independent reference, temporary directories, and
/// raw float64 files that numpy writes.
public struct PythonReference: Sendable {
    /// The Python modules the tests need (`["numpy"]`, `["numpy", "h5py"]`).
    public let modules: [String]
    /// A prefix for temporary directory names.
    public let directoryPrefix: String

    public init(modules: [String], directoryPrefix: String) {
        self.modules = modules
        self.directoryPrefix = directoryPrefix
    }

    /// Whether `python3 -c "import <modules>"` works.
    public var isAvailable: Bool {
        (try? Self.run(["python3", "-c", "import " + modules.joined(separator: ", ")], in: NSTemporaryDirectory())) != nil
    }

    /// Throws XCTSkip when python3 or a module is missing.
    public func require() throws {
        if !isAvailable {
            throw XCTSkip(
                "python3 with \(modules.joined(separator: " and ")) is not installed: skipping the cross-check (run `make test`, which installs them)")
        }
    }

    /// Runs python3 `script` in `directory`; throws with its stderr on a non-zero exit.
    public func python(_ script: String, in directory: String) throws {
        try require()
        try Self.run(["python3", "-c", script], in: directory)
    }

    public struct CommandFailed: Error, CustomStringConvertible {
        public let description: String
    }

    @discardableResult
    public static func run(_ arguments: [String], in directory: String) throws -> String {
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
            throw CommandFailed(
                description: "\(arguments.prefix(2).joined(separator: " ")) failed (\(process.terminationStatus)): "
                    + String(decoding: err, as: UTF8.self))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A fresh temporary directory; remove it with `removeDirectory`.
    public func makeDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(directoryPrefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    public func removeDirectory(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Reads a raw little-endian float64 file (written by numpy's `astype('<f8').tofile`).
    public func readFloat64(_ path: String) throws -> [Double] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 8)).map {
                Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))
            }
        }
    }
}
