/// Group-by as a ``ChunkReduction`` over the keys with the values as second operand: one
/// ``GroupPartial`` slot per key of `base ..< base + groups`, merged slot by slot in the fixed pairwise order.
struct GroupReduction<Element: SharedElement, Value: SharedElement>: ChunkReduction {
    var base: Int64
    var groups: Int
    var needs: GroupNeeds

    var slotCount: Int { groups }
    var identity: GroupPartial { .empty }

    func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<GroupPartial>) {
        let values = chunk.second(as: Value.self)
        func run<K: FixedWidthInteger & SharedElement, V: SharedElement>(_: K.Type, _: V.Type) {
            foldGroups(keys: chunk.elements.retyped(K.self), values: values.retyped(V.self), base: base, needs: needs, into: partial)
        }
        switch (Element.dtype, Value.dtype) {
        case (.int64, .float64): run(Int64.self, Double.self)
        case (.int64, .float32): run(Int64.self, Float.self)
        case (.int64, .int64): run(Int64.self, Int64.self)
        case (.int64, .int32): run(Int64.self, Int32.self)
        case (.int32, .float64): run(Int32.self, Double.self)
        case (.int32, .float32): run(Int32.self, Float.self)
        case (.int32, .int64): run(Int32.self, Int64.self)
        case (.int32, .int32): run(Int32.self, Int32.self)
        default: break  // refused before the job
        }
    }

    func merge(_ a: UnsafeMutableBufferPointer<GroupPartial>, _ b: UnsafeBufferPointer<GroupPartial>) {
        for g in 0..<a.count { GroupPartial.merge(&a[g], b[g]) }
    }
}
