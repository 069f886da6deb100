// The IPC frame decoder (Connection's length-prefixed framing over a socket pair): any byte stream from a
// peer gives messages, a "closed" or a "truncated"/"too large" error, never a trap or a hang. Each message
// received is then decoded as the codec's sample types. Seeds: framed valid encodings (`--emit-seeds DIR`).
import Multiprocessing
import FuzzDriver
#if canImport(Glibc)
import Glibc
#endif

if let dir = seedDirectory() {
    for (i, sample) in codecSamples().enumerated() {
        var framed = withUnsafeBytes(of: UInt64(sample.count).littleEndian) { Array($0) } + sample
        framed += withUnsafeBytes(of: UInt64(3).littleEndian) { Array($0) } + [1, 2, 3]
        framed.withUnsafeBytes { writeFile("\(dir)/seed-\(i)", $0) }
    }
    exit(0)
}
runFuzzer { bytes in
    var fds: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { return }
    // libFuzzer's inputs are small (-max_len), well under the socket buffer: the write cannot block.
    if let base = bytes.baseAddress { _ = send(fds[0], base, bytes.count, Int32(MSG_NOSIGNAL)) }
    close(fds[0])
    let connection = Connection(adopting: fds[1], canSend: false, canReceive: true)
    connection.maximumMessageBytes = 1 << 16
    for _ in 0..<64 {
        guard let message = try? connection.receiveBytes() else { break }
        decodeAll(message)
    }
}
