import SharedArrays
import XCTest

/// Checks any ``ChunkReduction`` the same way: run on pools of 1, 2 and 3 workers, the slots must be
/// bit-identical, and they must match a serial reference (the reduction's own fold over the whole data as
/// one chunk, computed in the test process without the engine).
///
/// ```swift
/// try ReductionHarness.check(CountAbove<Double>(threshold: 0), values: data, plan: smallChunks)
/// ```
enum ReductionHarness {
    /// Runs `run` on pools of 1, 2 and 3 workers, asserts that the results are bit-identical and returns
    /// the first.
    @discardableResult
    static func acrossWorkers<Slot: BitwiseCopyable>(
        _ what: String, file: StaticString = #filePath, line: UInt = #line, _ run: (WorkerPool) throws -> [Slot]
    ) throws -> [Slot] {
        let first = try run(try TestPools.pool(1))
        for workers in [2, 3] {
            let other = try run(try TestPools.pool(workers))
            XCTAssertTrue(bitwiseEqual(first, other), "\(what): \(workers) workers differ from 1 worker", file: file, line: line)
        }
        return first
    }

    /// Runs `reduction` over `values` (shaped `shape`, seen through `view`, laid out as `layout`, on the
    /// grid `plan`) for 1, 2 and 3 workers; asserts the results are bit-identical and match the serial fold
    /// under `matches` (bitwise by default). Returns the engine's result.
    @discardableResult
    static func check<R: ChunkReduction>(
        _ reduction: R, values: [R.Element], shape: [Int]? = nil,
        view: @escaping (SharedArray<R.Element>) throws -> SharedArray<R.Element> = { $0 },
        layout: ReductionLayout = .flat, plan: ChunkPlan? = nil,
        matches: (R.Slot, R.Slot) -> Bool = { bitwiseEqual([$0], [$1]) },
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> [R.Slot] {
        let result = try acrossWorkers("\(R.self) \(layout)", file: file, line: line) { pool in
            try view(try SharedArray(values, shape: shape, on: pool)).reduce(reduction, layout: layout, plan: plan)
        }
        let seen = try view(try SharedArray(values, shape: shape, on: try TestPools.pool(1)))
        let serial = serialFold(reduction, seen.toArray(), second: nil as [R.Element]?, shape: seen.shape, layout: layout)
        assertMatch(result, serial, matches, "\(R.self) \(layout)", file: file, line: line)
        return result
    }

    /// ``check(_:values:shape:view:layout:plan:matches:file:line:)`` for a paired reduction: `second`
    /// (seen through `secondView`) is the operand the reduction reads beside each element.
    @discardableResult
    static func check<R: ChunkReduction, S: SharedElement>(
        _ reduction: R, values: [R.Element], view: @escaping (SharedArray<R.Element>) throws -> SharedArray<R.Element> = { $0 },
        pairedWith second: [S], secondView: @escaping (SharedArray<S>) throws -> SharedArray<S> = { $0 },
        plan: ChunkPlan? = nil, matches: (R.Slot, R.Slot) -> Bool = { bitwiseEqual([$0], [$1]) },
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> [R.Slot] {
        let result = try acrossWorkers("\(R.self) paired", file: file, line: line) { pool in
            let x = try view(try SharedArray(values, on: pool))
            return try x.reduce(reduction, pairedWith: try secondView(try SharedArray(second, on: pool)), plan: plan)
        }
        let pool = try TestPools.pool(1)
        let x = try view(try SharedArray(values, on: pool)).toArray()
        let y = try secondView(try SharedArray(second, on: pool)).toArray()
        let serial = serialFold(reduction, x, second: y, shape: [x.count], layout: .flat)
        assertMatch(result, serial, matches, "\(R.self) paired", file: file, line: line)
        return result
    }

    /// The reduction's fold over all of `elements` as one chunk, laid out as `layout`, in this process.
    static func serialFold<R: ChunkReduction, S: SharedElement>(
        _ reduction: R, _ elements: [R.Element], second: [S]?, shape: [Int], layout: ReductionLayout
    ) -> [R.Slot] {
        let width = reduction.slotCount
        let partials: Int =
            switch layout {
            case .flat: 1
            case .residueClasses(let k): k
            case .columns(let n): n
            case .rows: shape[0]
            }
        var out = [R.Slot](repeating: reduction.identity, count: partials * width)
        elements.withUnsafeBufferPointer { x in
            (second ?? []).withUnsafeBytes { y in
                out.withUnsafeMutableBufferPointer { out in
                    let secondBase = second == nil ? nil : y.baseAddress
                    let chunk = ReductionChunk(
                        elements: x, firstIndex: 0, second: secondBase, secondStride: second == nil ? 0 : MemoryLayout<S>.stride)
                    switch layout {
                    case .flat: reduction.fold(chunk, into: out)
                    case .residueClasses(let k): reduction.foldClasses(chunk, classes: k, into: out)
                    case .columns(let n): reduction.foldColumns(chunk, rows: shape[0], columns: n, into: out)
                    case .rows(let n):
                        for row in 0..<shape[0] {
                            let elements = UnsafeBufferPointer(rebasing: x[row * n..<(row + 1) * n])
                            reduction.fold(
                                ReductionChunk(elements: elements, firstIndex: 0),
                                into: UnsafeMutableBufferPointer(rebasing: out[row * width..<(row + 1) * width]))
                        }
                    }
                }
            }
        }
        return out
    }

    static func bitwiseEqual<Slot: BitwiseCopyable>(_ a: [Slot], _ b: [Slot]) -> Bool {
        a.count == b.count && a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
    }

    private static func assertMatch<Slot>(
        _ result: [Slot], _ serial: [Slot], _ matches: (Slot, Slot) -> Bool, _ what: String, file: StaticString, line: UInt
    ) {
        XCTAssertEqual(result.count, serial.count, "\(what): slot count", file: file, line: line)
        for (i, (a, b)) in zip(result, serial).enumerated() where !matches(a, b) {
            XCTFail("\(what): slot \(i) is \(a), the serial fold gives \(b)", file: file, line: line)
            return
        }
    }
}
