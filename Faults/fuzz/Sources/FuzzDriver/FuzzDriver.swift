import CFuzz

/// The body one fuzz target runs on every input; set once by ``runFuzzer(_:)`` before libFuzzer starts.
nonisolated(unsafe) private var fuzzBody: ((UnsafeRawBufferPointer) -> Void)?

/// Hands control to libFuzzer (its usual command line: corpus directories, `-max_total_time=`, a crash file to
/// replay) with `body` as the function under test. Never returns.
public func runFuzzer(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    fuzzBody = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        fuzzBody?(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
    exit(status)
}

/// `--emit-seeds DIR` as the first argument: the target writes its seed inputs there instead of fuzzing.
public func seedDirectory() -> String? {
    let args = CommandLine.arguments
    guard args.count >= 3, args[1] == "--emit-seeds" else { return nil }
    return args[2]
}

/// Writes `bytes` to `path` (seeds and the temporary file parsers read).
public func writeFile(_ path: String, _ bytes: UnsafeRawBufferPointer) {
    guard let f = fopen(path, "wb") else { return }
    if let base = bytes.baseAddress { fwrite(base, 1, bytes.count, f) }
    fclose(f)
}

#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's usual entry point. The sanitizer runtime links libFuzzer's own `main`, which refers to it; our
/// executables keep their `main` (SwiftPM aliases it), so this is only a forwarder to ``runFuzzer(_:)``'s body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzBody?(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
