extension SharedArray {
    /// Throws when the elements are a read-only file mapping (``isReadOnly``): `what` names the refused
    /// in-place operation. Chosen over copy-on-write so that a view never silently stops sharing memory
    /// with the array it came from.
    func checkWritable(_ what: String) throws {
        guard isReadOnly else { return }
        throw ArrayError(
            .invalidArgument, operation: nil, "\(what): the array is a read-only mapping of its file (load(npy:mapped: true)); copy() it to get a writable array")
    }
}

extension MapOperation {
    /// The operation's name in errors: `sqrt`, `add`, `fill`.
    var name: String {
        switch self {
        case .copy: "copy"
        case .unary(let op): "\(op)"
        case .binary(let op): op.rawValue
        case .axpy: "addProduct"
        case .fill: "fill"
        case .arange: "arange"
        case .uniform, .normal, .philox: "fillRandom"
        }
    }
}
