extension Connection {
    /// Sends a Codable value (Python's `send`, which pickles; here the binary encoding).
    public func send<Value: Encodable>(_ value: Value) throws {
        try sendBytes(BinaryEncoder().encode(value))
    }

    /// Receives a Codable value of type `type`, waiting for it at most `timeout` (nil: forever; see
    /// ``receiveBytes(timeout:)``). A message that is not a valid encoding of `type` throws the decoder's error.
    public func receive<Value: Decodable>(_ type: Value.Type, timeout: Duration? = nil) throws -> Value {
        let bytes = try receiveBytes(timeout: timeout)
        return try BinaryDecoder().decode(type, from: bytes)
    }
}
