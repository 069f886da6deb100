import Multiprocessing
import SharedArrays
import XCTest

final class ArrayErrorFieldsTests: XCTestCase {
    /// Each refusal says which operation, what kind of problem and which input, besides its one-line text.
    func testArrayErrorsNameTheOperationTheCodeAndTheInput() throws {
        let pool = try TestPools.pool(1)
        let t = try SharedArray<Double>((0..<12).map(Double.init), shape: [4, 3], on: pool)
        let v = try SharedArray<Double>((0..<5).map(Double.init), shape: [5], on: pool)
        func refusal(_ call: () throws -> Void) -> ArrayError? {
            do { try call() } catch { return error as? ArrayError }
            return nil
        }
        let slice = refusal { _ = try v.slice(3..<9) }
        XCTAssertEqual(slice?.code, .outOfRange)
        XCTAssertEqual(slice?.operation, "slice")
        XCTAssertEqual(slice?.input, "range")
        XCTAssertEqual(slice?.description, "slice: range 3..<9 is outside 0..<5")
        let ddof = refusal { _ = try v.statistics([.std], ddof: -1) }
        XCTAssertEqual(ddof?.code, .invalidArgument)
        XCTAssertEqual(ddof?.input, "ddof")
        let column = refusal { _ = try t.flattened().column(0) }
        XCTAssertEqual(column?.code, .invalidShape)
        XCTAssertEqual(column?.description, "column: the array has shape [12], not 2-D")
        let reshaped = refusal { _ = try t.column(1).reshaped([2, 2]) }
        XCTAssertEqual(reshaped?.code, .notContiguous)
        let step = refusal { _ = try v.strided(from: 0, by: 0) }
        XCTAssertEqual(step?.code, .invalidArgument)
        XCTAssertEqual(step?.input, "step")
    }
}
