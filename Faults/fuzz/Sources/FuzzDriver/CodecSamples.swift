import Multiprocessing

/// Codable shapes the codec must decode (or refuse) from any bytes: structs, optionals, enums with payloads,
/// dictionaries, nested arrays, every width of integer and float.
public struct FuzzInner: Codable, Sendable {
    public var a: Int
    public var b: String?
    public var c: [Double]
    public var d: [String: Int32]
}

public enum FuzzKind: Codable, Sendable {
    case one(Int)
    case two(name: String, values: [UInt8])
    case three
}

public struct FuzzOuter: Codable, Sendable {
    public var inner: [FuzzInner]
    public var kind: FuzzKind
    public var flag: Bool
    public var big: UInt64
    public var f: Float
    public var nested: [[Int16]]
    public var optional: FuzzInner?
}

/// Valid encodings to start from (the seeds of the codec and frame targets).
public func codecSamples() -> [[UInt8]] {
    let inner = FuzzInner(a: -7, b: "station", c: [1.5, .nan, -.infinity], d: ["x": 1, "y": -2])
    let outer = FuzzOuter(inner: [inner, FuzzInner(a: 0, b: nil, c: [], d: [:])], kind: .two(name: "n", values: [1, 2]),
                          flag: true, big: .max, f: 3.25, nested: [[1, -2], [], [32767]], optional: inner)
    let encoder = BinaryEncoder()
    var out: [[UInt8]] = []
    out.append((try? encoder.encode(outer)) ?? [])
    out.append((try? encoder.encode(inner)) ?? [])
    out.append((try? encoder.encode([1, 2, 3, Int.max, Int.min])) ?? [])
    out.append((try? encoder.encode("a string with ü")) ?? [])
    out.append((try? encoder.encode(["k": [1.0, 2.0]])) ?? [])
    out.append((try? encoder.encode(FuzzKind.one(42))) ?? [])
    out.append((try? encoder.encode([Double](repeating: 0.5, count: 64))) ?? [])
    return out
}

/// Decodes `bytes` as each sample shape; every outcome but a crash is fine.
public func decodeAll(_ bytes: [UInt8]) {
    let decoder = BinaryDecoder()
    _ = try? decoder.decode(FuzzOuter.self, from: bytes)
    _ = try? decoder.decode(FuzzInner.self, from: bytes)
    _ = try? decoder.decode([Int].self, from: bytes)
    _ = try? decoder.decode(String.self, from: bytes)
    _ = try? decoder.decode([String: [Double]].self, from: bytes)
    _ = try? decoder.decode(FuzzKind.self, from: bytes)
    _ = try? decoder.decode([Double].self, from: bytes)
    _ = try? decoder.decode(Int8.self, from: bytes)
}
