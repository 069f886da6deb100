/// The key of an element in an unkeyed container, as it appears in a coding path.
struct IndexKey: CodingKey {
    let index: Int
    init(_ index: Int) { self.index = index }
    init?(intValue: Int) { self.index = intValue }
    init?(stringValue: String) { return nil }
    var intValue: Int? { index }
    var stringValue: String { "Index \(index)" }
}

/// The key `superEncoder()` and `superDecoder()` use, as Foundation's coders do.
struct SuperKey: CodingKey {
    init() {}
    init?(intValue: Int) { return nil }
    init?(stringValue: String) { guard stringValue == "super" else { return nil } }
    var intValue: Int? { nil }
    var stringValue: String { "super" }
}

/// Coding paths are kept as a parent chain (one key per nested encoder or decoder) and turned into an array
/// only when someone asks, so that decoding a value does not copy a growing array at every level.
enum CodingPath {
    /// A component as it reads in an error: `name` for a key, `[3]` for an unkeyed position.
    static func render(_ key: any CodingKey) -> String {
        if let index = key as? IndexKey { return "[\(index.index)]" }
        if key.stringValue.hasPrefix("Index "), let int = key.intValue { return "[\(int)]" }
        return key.stringValue
    }
}

/// A node that knows its key and its parent: the encoder and decoder classes.
protocol CodingPathNode: AnyObject {
    var parentNode: (any CodingPathNode)? { get }
    var key: (any CodingKey)? { get }
}

extension CodingPathNode {
    /// The keys from the root to this node.
    var keyPath: [any CodingKey] {
        var keys: [any CodingKey] = []
        var node: (any CodingPathNode)? = self
        while let current = node {
            if let key = current.key { keys.append(key) }
            node = current.parentNode
        }
        return keys.reversed()
    }

    /// The path to this node plus `extra`, rendered for a ``CodecError``.
    func renderedPath(appending extra: (any CodingKey)?) -> [String] {
        var path = keyPath.map(CodingPath.render)
        if let extra { path.append(CodingPath.render(extra)) }
        return path
    }
}
