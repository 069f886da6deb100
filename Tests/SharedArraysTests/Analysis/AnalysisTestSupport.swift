import Foundation
import SharedArrays
import TestSupport
import XCTest

/// numpy as the reference for scans, rolling windows, group-by and correlation: named input arrays are
/// written as raw little-endian files, a script computes the expected results, which come back as float64
/// (and as int64 for integer results, exactly).
struct NumpyCheck {
    static let python = PythonReference(modules: ["numpy"], directoryPrefix: "analysis-test")

    let directory: String

    init() throws {
        try Self.python.require()
        directory = try Self.python.makeDirectory()
    }

    func cleanUp() { Self.python.removeDirectory(directory) }

    /// Writes `values` as `name` with numpy dtype `dtype` (`f8`, `f4`, `i8`, `i4`).
    func write(_ name: String, _ values: [Double], dtype: DType) throws {
        var data = Data()
        for v in values {
            switch dtype {
            case .float64: withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            case .float32: withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { data.append(contentsOf: $0) }
            case .int64: withUnsafeBytes(of: Int64(v).littleEndian) { data.append(contentsOf: $0) }
            default: withUnsafeBytes(of: Int32(v).littleEndian) { data.append(contentsOf: $0) }
            }
        }
        try data.write(to: URL(fileURLWithPath: "\(directory)/\(name).\(Self.code(dtype))"))
    }

    /// Runs `script` with `inp(name, code)` loading an input and `out(name, array)` saving a result.
    func run(_ script: String) throws {
        let prelude = """
            import numpy as np, warnings
            warnings.simplefilter('ignore')
            def inp(name, code): return np.fromfile(name + '.' + code, dtype='<' + code)
            def out(name, a):
                a = np.asarray(a)
                a.astype('<f8').tofile(name + '.out')
                if a.dtype.kind in 'iu': a.astype('<i8').tofile(name + '.int')

            """
        try Self.python.python(prelude + script, in: directory)
    }

    func result(_ name: String) throws -> [Double] { try Self.python.readFloat64("\(directory)/\(name).out") }

    func integerResult(_ name: String) throws -> [Int64] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name).int"))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 8)).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        }
    }

    static func code(_ dtype: DType) -> String {
        switch dtype {
        case .float64: "f8"
        case .float32: "f4"
        case .int64: "i8"
        default: "i4"
        }
    }
}

/// Data that breaks careless kernels: NaN, ±inf, duplicates, runs of equal values, large and tiny
/// magnitudes, for a floating-point dtype; integers (with extremes that overflow sums) otherwise.
func hostileValues(_ n: Int, dtype: DType, seed: UInt64, specials: Bool = true) -> [Double] {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 11
    }
    return (0..<n).map { i in
        let r = next()
        switch dtype {
        case .float64, .float32:
            if specials {
                switch r % 97 {
                case 0: return .nan
                case 1: return .infinity
                case 2: return -.infinity
                case 3: return 0
                default: break
                }
            }
            if (i / 50) % 7 == 3 { return 2.5 }  // runs of duplicates
            return (Double(r % 2_000_001) - 1_000_000) / 997
        case .int64:
            if r % 101 == 0 { return Double(Int64.max / 4) }
            return Double(Int64(r % 20_001) - 10_000)
        default:
            return Double(Int64(r % 2_001) - 1_000)
        }
    }
}

/// Lengths around the chunk grid: tiny, odd, below one chunk, exactly one, and several chunks.
func gridLengths(_ dtype: DType) -> [Int] {
    let chunk = ChunkPlan(count: 1 << 30, elementSize: dtype.byteSize).chunkLength
    return [1, 2, 7, 1_001, chunk, chunk + 1, 3 * chunk + 17]
}

/// A 1-D array of `dtype` holding `values`, type-erased to a closure over the concrete array.
func withArray<R>(_ values: [Double], dtype: DType, pool: WorkerPool, _ body: (AnyAnalysisArray) throws -> R) throws -> R {
    switch dtype {
    case .float64: try body(AnyAnalysisArray(try SharedArray(values, on: pool)))
    case .float32: try body(AnyAnalysisArray(try SharedArray(values.map { Float($0) }, on: pool)))
    case .int64: try body(AnyAnalysisArray(try SharedArray(values.map { Int64($0) }, on: pool)))
    default: try body(AnyAnalysisArray(try SharedArray(values.map { Int32($0) }, on: pool)))
    }
}

/// The operations under test on an array of any element type, results as Double bit patterns and (for
/// integer results) exact Int64.
struct AnyAnalysisArray {
    let scan: (ScanOperation, _ numpyDType: Bool) throws -> (values: [Double], integers: [Int64]?)
    let rolling: (Int, RollingStatistic, Int) throws -> [Double]
    let groupBy: ([Double], DType, Int) throws -> GroupedStatistics

    init<E: SharedElement>(_ x: SharedArray<E>) {
        scan = { op, numpyDType in
            let target = numpyDType ? SharedArray<E>.numpyScanDType(op) : E.dtype
            switch target {
            case .float64: return (try x.scan(op, as: Double.self).toArray(), nil)
            case .float32: return (try x.scan(op, as: Float.self).toArray().map(Double.init), nil)
            case .int64:
                let v = try x.scan(op, as: Int64.self).toArray()
                return (v.map(Double.init), v)
            default:
                let v = try x.scan(op, as: Int32.self).toArray()
                return (v.map(Double.init), v.map(Int64.init))
            }
        }
        rolling = { window, statistic, ddof in try x.rolling(window).compute(statistic, ddof: ddof).toArray() }
        groupBy = { keys, keyType, ddof in
            keyType == .int64
                ? try x.groupBy(keys: try SharedArray<Int64>(keys.map { Int64($0) }, on: x.pool), ddof: ddof)
                : try x.groupBy(keys: try SharedArray<Int32>(keys.map { Int32($0) }, on: x.pool), ddof: ddof)
        }
    }
}

/// Asserts `actual` equals `expected` where exact, NaN where NaN, and within `relative * scale[i]` otherwise.
func assertClose(
    _ actual: [Double], _ expected: [Double], relative: Double, scale: [Double]? = nil, _ message: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "count \(message)", file: file, line: line)
    var failures = 0
    for i in 0..<Swift.min(actual.count, expected.count) {
        let (a, e) = (actual[i], expected[i])
        let ok: Bool
        if e.isNaN { ok = a.isNaN } else if e.isInfinite { ok = a == e } else {
            let s = scale?[i] ?? Swift.max(1, Swift.abs(e))
            ok = Swift.abs(a - e) <= relative * Swift.max(s, 1e-300)
        }
        if !ok {
            failures += 1
            if failures <= 3 { XCTFail("[\(i)] \(a) vs numpy \(e) \(message)", file: file, line: line) }
        }
    }
    if failures > 3 { XCTFail("\(failures) mismatches in all \(message)", file: file, line: line) }
}

/// Asserts the runs are identical bit for bit.
func assertBitIdentical(_ runs: [[Double]], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    for run in runs.dropFirst() {
        XCTAssertEqual(run.map(\.bitPattern), runs[0].map(\.bitPattern), message, file: file, line: line)
    }
}
