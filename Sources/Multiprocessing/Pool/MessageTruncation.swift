/// Fits a message into a fixed number of bytes of shared memory without cutting a word.
public enum MessageTruncation {
    /// The UTF-8 bytes of `message` when they fit in `capacity` bytes; otherwise the longest prefix that ends
    /// at a space (or, with no space, at a character boundary) followed by " ...", within `capacity`.
    public static func utf8(_ message: String, capacity: Int) -> [UInt8] {
        let utf8 = Array(message.utf8)
        guard utf8.count > capacity else { return utf8 }
        let marker = Array(" ...".utf8)
        let room = max(0, capacity - marker.count)
        guard room > 0 else { return Array(marker.prefix(capacity)) }
        var cut = utf8[..<room].lastIndex(of: UInt8(ascii: " ")) ?? room
        while cut > 0 && utf8[cut] & 0xC0 == 0x80 { cut -= 1 }  // never inside a UTF-8 character
        return Array(utf8[..<cut]) + marker
    }
}
