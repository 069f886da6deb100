/// Group-by as a ``ChunkReduction`` over the keys with the values as second operand: one
/// ``GroupPartial`` slot per key of `base ..< base + groups`, merged slot by slot in the fixed pairwise order.
package struct GroupReduction<Element: SharedElement, Value: SharedElement>: ChunkReduction {
    package var base: Int64
    package var groups: Int
    package var needs: GroupNeeds

    package init(base: Int64, groups: Int, needs: GroupNeeds) {
        self.base = base
        self.groups = groups
        self.needs = needs
    }

    package var slotCount: Int { groups }
    package var identity: GroupPartial { .empty }
    package var secondOperandType: DType? { Value.dtype }

    package func fold(_ chunk: ReductionChunk<Element>, into partial: UnsafeMutableBufferPointer<GroupPartial>) {
        guard let keys = chunk.elements.baseAddress, let values = chunk.second(as: Value.self).baseAddress else { return }
        GroupKernels.fold(
            keys: UnsafeRawPointer(keys), keyType: Element.dtype, values: UnsafeRawPointer(values), valueType: Value.dtype,
            count: chunk.elements.count, base: base, needs: needs, into: partial)
    }

    package func merge(_ a: UnsafeMutableBufferPointer<GroupPartial>, _ b: UnsafeBufferPointer<GroupPartial>) {
        for g in 0..<a.count { GroupPartial.merge(&a[g], b[g]) }
    }
}

/// The group fold for each (key, value) type pair, dispatched here, outside any generic context, so that
/// each pair's loop is specialised (generic code reached through a reduction's witness is not).
enum GroupKernels {
    static func fold(
        keys: UnsafeRawPointer, keyType: DType, values: UnsafeRawPointer, valueType: DType, count: Int, base: Int64,
        needs: GroupNeeds, into partial: UnsafeMutableBufferPointer<GroupPartial>
    ) {
        func run<K: FixedWidthInteger & SharedElement, V: SharedElement>(_: K.Type, _: V.Type) {
            foldGroups(
                keys: UnsafeBufferPointer(start: keys.assumingMemoryBound(to: K.self), count: count),
                values: UnsafeBufferPointer(start: values.assumingMemoryBound(to: V.self), count: count),
                base: base, needs: needs, into: partial)
        }
        switch (keyType, valueType) {
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
}
