import ArgumentParser
import COpenBLAS
import HDF5Arrays
import SharedArrays
#if canImport(Glibc)
import Glibc
#endif

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show cores, shared memory, BLAS and HDF5 of this machine, or the datasets of an HDF5 file.")

    @Argument(help: ArgumentHelp("An HDF5 file: list its datasets (type, shape, storage, filters, compound fields).",
                                 valueName: "FILE"))
    var file: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        if let file { return try describe(file: file) }
        let free = SharedMemory.freeSpace() ?? 0
        var fs = statvfs()
        let total = statvfs("/dev/shm", &fs) == 0 ? Int(fs.f_blocks) * Int(fs.f_frsize) : 0
        let blas = openblas_get_config().map { String(cString: $0) } ?? "unknown"
        let orphans = SegmentSweeper.survey().removable.count  // what `mproc cleanup` would remove
        // The kernel marks the active setting in brackets: "always within_size advise [never] deny force".
        let thpLine = readFirstLine("/sys/kernel/mm/transparent_hugepage/shmem_enabled") ?? "[unknown]"
        let thp = thpLine.split(separator: " ").first { $0.hasPrefix("[") }.map { String($0.dropFirst().dropLast()) } ?? thpLine
        let fields: [(String, String, String)] = [
            ("cores", "\(WorkerPool.availableCores)", "\(WorkerPool.availableCores)"),
            ("default_workers", "\(WorkerPool.availableCores)", "\(WorkerPool.availableCores)"),
            ("shm_total", formatBytes(total), "\(total)"),
            ("shm_free", formatBytes(free), "\(free)"),
            ("shm_huge_pages", thp, jsonString(thp)),
            ("orphaned_segments", "\(orphans)", "\(orphans)"),
            ("blas", blas, jsonString(blas)),
            ("blas_threads_in_workers", "1", "1"),
            ("hdf5", HDF5.libraryVersion, jsonString(HDF5.libraryVersion)),
            ("hdf5_plugin_path", HDF5.pluginDirectories.joined(separator: ":"),
             jsonString(HDF5.pluginDirectories.joined(separator: ":"))),
        ]
        if json {
            // The SIMD path of the vectorised kernels, for benchmark records (JSON only).
            let vectorMath = [("simd", jsonString(VectorMathInfo.path)), ("vector_math", jsonString(VectorMathInfo.library))]
            let all = fields.map { ($0.0, $0.2) } + vectorMath
            print("{" + all.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            let width = fields.map(\.0.count).max() ?? 0
            for (name, text, _) in fields { print(name.replacingUnderscores().padding(width) + "  " + text) }
        }
    }
}

extension InfoCommand {
    /// Lists the datasets of an HDF5 file, one line each (compound fields on the lines below).
    func describe(file: String) throws {
        let datasets = try HDF5.listDatasets(file: file)
        let decodings = (try? HDF5.cfDecodingSummaries(file: file)) ?? [:]
        if json {
            let items = datasets.map { info -> String in
                let fields = info.fields.map {
                    "{\"name\": \(jsonString($0.name)), \"type\": \(jsonString($0.typeDescription)), "
                        + "\"dtype\": \($0.dtype.map { jsonString($0.rawValue) } ?? "null")}"
                }
                return "{\"path\": \(jsonString(info.path)), \"type\": \(jsonString(info.typeDescription)), "
                    + "\"dtype\": \(info.dtype.map { jsonString($0.rawValue) } ?? "null"), "
                    + "\"shape\": [\(info.shape.map(String.init).joined(separator: ", "))], "
                    + "\"layout\": \(jsonString(info.layout.rawValue)), "
                    + "\"filters\": [\(info.filters.map(jsonString).joined(separator: ", "))], "
                    + "\"fields\": [\(fields.joined(separator: ", "))], "
                    + "\"cf_decoding\": \(decodings[info.path].map(jsonString) ?? "null")}"
            }
            print("[" + items.joined(separator: ", ") + "]")
            return
        }
        if datasets.isEmpty { print("\(file): no datasets") }
        for info in datasets {
            let shape = "[" + info.shape.map(String.init).joined(separator: " x ") + "]"
            let loads = info.dtype.map { "reads as \($0.rawValue)" } ?? (info.fields.isEmpty ? "not numeric" : "choose a field")
            var storage = info.layout.rawValue
            if let chunks = info.chunkShape { storage += " " + chunks.map(String.init).joined(separator: "x") }
            if !info.filters.isEmpty { storage += ", " + info.filters.joined(separator: "+") }
            print("\(info.path)  \(info.typeDescription)  \(shape)  \(loads)  \(storage)")
            if let decoding = decodings[info.path] {
                print("    CF: \(decoding)" + (decoding.hasPrefix("cannot") ? "" : " (--raw reads the stored values)"))
            }
            for field in info.fields {
                let fieldLoads = field.dtype.map { "reads as \($0.rawValue) with --field \(field.name)" } ?? "not numeric"
                print("    field \(field.name)  \(field.typeDescription)  \(fieldLoads)")
            }
        }
    }
}

func readFirstLine(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var buffer = [CChar](repeating: 0, count: 512)
    guard fgets(&buffer, 512, file) != nil else { return nil }
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self).trimmingNewline()
}

extension String {
    func trimmingNewline() -> String { hasSuffix("\n") ? String(dropLast()) : self }
    func replacingUnderscores() -> String { String(map { $0 == "_" ? " " : $0 }) }
}
