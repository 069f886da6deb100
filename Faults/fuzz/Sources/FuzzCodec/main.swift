// The binary codec (Multiprocessing/Codec): decoding any bytes as a Codable type gives a value or a
// CodecError, never a trap or unbounded allocation. Seeds: valid encodings (`--emit-seeds DIR`).
import FuzzDriver
import Multiprocessing

if let dir = seedDirectory() {
    for (i, sample) in codecSamples().enumerated() {
        sample.withUnsafeBytes { writeFile("\(dir)/seed-\(i)", $0) }
    }
    exit(0)
}
runFuzzer { bytes in
    decodeAll(Array(bytes))
    _ = try? BinaryDecoder.frameLength(in: bytes)
}

#if canImport(Glibc)
import Glibc
#endif
