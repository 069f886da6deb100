import SharedArrays

/// The element filter of `mproc stats --where`: comparisons of `x` with numbers, joined by `&` (and), `|`
/// (or), `~` (not) and parentheses, plus `isnan(x)` and `isfinite(x)`, e.g. `"x > 0 & x < 10"`.
///
/// Grammar (`~` binds tightest, then comparisons, then `&`, then `|`, as a reader expects; Python itself
/// would bind `&` before `>`):
///
///     expression := and ('|' and)*
///     and        := unary ('&' unary)*
///     unary      := '~' unary | '(' expression ')' | 'isnan' '(' 'x' ')' | 'isfinite' '(' 'x' ')' | comparison
///     comparison := 'x' op number | number op 'x'          op: < <= > >= == !=
///
/// A number is an integer (compared exactly with integer data) or a decimal such as `2.5`, `-1e3`, `inf`.
/// A syntax error names the position (1-based character) where parsing failed.
indirect enum WhereExpression: Equatable {
    case compare(Comparison, MaskScalar)
    case isNaN
    case isFinite
    case and(WhereExpression, WhereExpression)
    case or(WhereExpression, WhereExpression)
    case not(WhereExpression)

    /// Parses `text`; throws a ``CLIError`` naming the position of the first error.
    init(parsing text: String) throws {
        var parser = try WhereParser(text)
        self = try parser.parseAll()
    }

    /// The mask of the elements of `array` that satisfy the expression, built by the pool's workers.
    func mask<E: SharedElement>(for array: SharedArray<E>) throws -> SharedMask {
        switch self {
        case .compare(let comparison, let scalar): try array.compare(comparison, scalar)
        case .isNaN: try array.isNaN()
        case .isFinite: try array.isFinite()
        case .and(let a, let b): try a.mask(for: array) & b.mask(for: array)
        case .or(let a, let b): try a.mask(for: array) | b.mask(for: array)
        case .not(let a): try ~a.mask(for: array)
        }
    }
}

/// One lexical token of a where expression, with its 1-based position.
private struct WhereToken: Equatable {
    enum Kind: Equatable {
        case variable, number(MaskScalar), comparison(Comparison), and, or, not, open, close
        case function(String)
        case end
    }
    let kind: Kind
    let text: String
    let position: Int
}

/// A recursive-descent parser over the tokens of one expression.
private struct WhereParser {
    let source: String
    let tokens: [WhereToken]
    var next = 0

    init(_ source: String) throws {
        self.source = source
        tokens = try Self.tokenize(source)
    }

    mutating func parseAll() throws -> WhereExpression {
        guard tokens.count > 1 else { throw error(at: tokens[0], "the expression is empty; write e.g. \"x > 0 & x < 10\"") }
        let expression = try parseOr()
        guard case .end = peek.kind else { throw error(at: peek, "expected '&', '|' or the end, found '\(peek.text)'") }
        return expression
    }

    private var peek: WhereToken { tokens[next] }

    private mutating func take() -> WhereToken {
        defer { next = min(next + 1, tokens.count - 1) }
        return tokens[next]
    }

    private mutating func parseOr() throws -> WhereExpression {
        var left = try parseAnd()
        while peek.kind == .or {
            _ = take()
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws -> WhereExpression {
        var left = try parseUnary()
        while peek.kind == .and {
            _ = take()
            left = .and(left, try parseUnary())
        }
        return left
    }

    private mutating func parseUnary() throws -> WhereExpression {
        let token = take()
        switch token.kind {
        case .not:
            return .not(try parseUnary())
        case .open:
            let inner = try parseOr()
            try expect(.close, "')' to close the '(' at position \(token.position)")
            return inner
        case .function(let name):
            try expect(.open, "'(' after \(name)")
            try expect(.variable, "x as the argument of \(name)")
            try expect(.close, "')' after \(name)(x")
            return name == "isnan" ? .isNaN : .isFinite
        case .variable:
            let op = take()
            guard case .comparison(let comparison) = op.kind else {
                throw error(at: op, "expected a comparison (<, <=, >, >=, ==, !=) after x, found '\(op.text)'")
            }
            let value = take()
            guard case .number(let scalar) = value.kind else {
                throw error(at: value, "expected a number after '\(op.text)', found '\(value.text)'")
            }
            return .compare(comparison, scalar)
        case .number(let scalar):
            let op = take()
            guard case .comparison(let comparison) = op.kind else {
                throw error(at: op, "expected a comparison (<, <=, >, >=, ==, !=) after \(token.text), found '\(op.text)'")
            }
            try expect(.variable, "x after '\(token.text) \(op.text)'")
            return .compare(comparison.mirrored, scalar)
        default:
            throw error(at: token, "expected x, a number, '~', '(', isnan(x) or isfinite(x), found '\(token.text)'")
        }
    }

    private mutating func expect(_ kind: WhereToken.Kind, _ what: String) throws {
        let token = take()
        guard token.kind == kind else { throw error(at: token, "expected \(what), found '\(token.text)'") }
    }

    private func error(at token: WhereToken, _ message: String) -> CLIError {
        CLIError("--where \"\(source)\": at position \(token.position): \(message)")
    }

    private static func tokenize(_ source: String) throws -> [WhereToken] {
        let chars = Array(source)
        var tokens: [WhereToken] = []
        var i = 0
        func fail(_ message: String) -> CLIError { CLIError("--where \"\(source)\": at position \(i + 1): \(message)") }
        while i < chars.count {
            let c = chars[i]
            let start = i
            func add(_ kind: WhereToken.Kind, length: Int) {
                tokens.append(WhereToken(kind: kind, text: String(chars[start..<start + length]), position: start + 1))
                i += length
            }
            let two = i + 1 < chars.count ? String(chars[i...i + 1]) : ""
            if c.isWhitespace {
                i += 1
            } else if let comparison = Comparison(rawValue: two) {
                add(.comparison(comparison), length: 2)
            } else if c == "<" || c == ">" {
                add(.comparison(c == "<" ? .less : .greater), length: 1)
            } else if c == "=" || c == "!" {
                throw fail("'\(c)' alone is not an operator; use == or !=")
            } else if c == "&" {
                add(.and, length: two == "&&" ? 2 : 1)
            } else if c == "|" {
                add(.or, length: two == "||" ? 2 : 1)
            } else if c == "~" {
                add(.not, length: 1)
            } else if c == "(" {
                add(.open, length: 1)
            } else if c == ")" {
                add(.close, length: 1)
            } else if c.isNumber || c == "." || c == "-" || c == "+" {
                var end = i + 1
                while end < chars.count {
                    let d = chars[end]
                    let exponentSign = (d == "-" || d == "+") && (chars[end - 1] == "e" || chars[end - 1] == "E")
                    guard d.isNumber || d == "." || d == "e" || d == "E" || d == "_" || exponentSign || d.isLetter else { break }
                    end += 1
                }
                let text = String(chars[i..<end])
                guard let scalar = Self.number(text) else { throw fail("'\(text)' is not a number") }
                add(.number(scalar), length: end - i)
            } else if c.isLetter || c == "_" {
                var end = i + 1
                while end < chars.count, chars[end].isLetter || chars[end].isNumber || chars[end] == "_" { end += 1 }
                let word = String(chars[i..<end]).lowercased()
                switch word {
                case "x": add(.variable, length: end - i)
                case "isnan", "isfinite": add(.function(word), length: end - i)
                case "inf", "infinity", "nan": add(.number(.real(Double(word)!)), length: end - i)
                default: throw fail("unknown name '\(String(chars[i..<end]))'; the expression may use x, isnan(x) and isfinite(x)")
                }
            } else {
                throw fail("unexpected character '\(c)'")
            }
        }
        tokens.append(WhereToken(kind: .end, text: "end of the expression", position: chars.count + 1))
        return tokens
    }

    /// An integer literal as an exact integer, anything else Double accepts (`2.5`, `-1e3`, `-inf`) as a real.
    private static func number(_ text: String) -> MaskScalar? {
        if let integer = Int64(text) { return .integer(integer) }
        if text.lowercased().hasPrefix("0x") || text.lowercased().contains("nan") { return nil }
        guard let value = Double(text) else { return nil }
        return .real(value)
    }
}

extension Comparison {
    /// The comparison with its sides swapped: `3 < x` is `x > 3`.
    fileprivate var mirrored: Comparison {
        switch self {
        case .less: .greater
        case .lessOrEqual: .greaterOrEqual
        case .greater: .less
        case .greaterOrEqual: .lessOrEqual
        case .equal, .notEqual: self
        }
    }
}
