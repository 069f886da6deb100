/// Which datasets of a file a batch reads: an absolute path (`/readings/temperature`) or a glob over
/// paths, where `*` matches within one path component, `?` one character, and `**` any number of
/// components (`/**` is every dataset, `/**/temperature` every dataset named `temperature`).
///
/// A path names one dataset, so a missing or non-numeric one is an error for that file. A glob picks the
/// numeric datasets it matches and skips the others (strings, compounds ...); matching no numeric
/// dataset at all is an error for that file.
///
/// ```swift
/// let selector = HDF5DatasetSelector("/runs/*/signal")
/// selector.matches("/runs/7/signal")   // true
/// ```
public struct HDF5DatasetSelector: Sendable, Hashable, CustomStringConvertible {
    /// The pattern in canonical form: absolute, no empty components (`a//b/` is `/a/b`).
    public let pattern: String
    private let parts: [String]

    /// A selector for `pattern`; a relative pattern is taken from the root (`temperature` is `/temperature`).
    public init(_ pattern: String) {
        parts = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        self.pattern = "/" + parts.joined(separator: "/")
    }

    /// Whether the pattern has wildcards (`*`, `?`); otherwise it names exactly one dataset.
    public var isGlob: Bool { pattern.contains("*") || pattern.contains("?") }

    public var description: String { pattern }

    /// Whether the dataset at absolute path `path` matches.
    public func matches(_ path: String) -> Bool {
        let components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return Self.match(parts[...], components[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            // Zero or more whole components.
            var rest = path
            while true {
                if match(pattern.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let component = path.first, matchComponent(Array(head.unicodeScalars)[...], Array(component.unicodeScalars)[...])
        else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    /// `*` and `?` within one component (iterative, with backtracking to the last `*`).
    private static func matchComponent(_ pattern: ArraySlice<Unicode.Scalar>, _ text: ArraySlice<Unicode.Scalar>) -> Bool {
        var p = pattern.startIndex, t = text.startIndex
        var star: Int? = nil, starText = t
        while t < text.endIndex {
            if p < pattern.endIndex && (pattern[p] == "?" || pattern[p] == text[t]) && pattern[p] != "*" {
                p += 1
                t += 1
            } else if p < pattern.endIndex && pattern[p] == "*" {
                star = p
                starText = t
                p += 1
            } else if let s = star {
                p = s + 1
                starText += 1
                t = starText
            } else {
                return false
            }
        }
        while p < pattern.endIndex && pattern[p] == "*" { p += 1 }
        return p == pattern.endIndex
    }
}
