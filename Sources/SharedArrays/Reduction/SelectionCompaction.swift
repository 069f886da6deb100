/// Copies the elements whose flag is non-zero, in order, to contiguous `target`, and returns how many it
/// copied: the compaction behind masked reductions and ``SharedArray/filter(_:timeout:)``.
///
/// Element `i` (for `i` in `range`) is at `source + i * stride` elements of `elementBytes` bytes, its flag at
/// `flags[i * flagStride]`. The loop has no data-dependent branch (a mask that selects half the elements at
/// random would mispredict every other one): each element is stored at the next free slot of `target` and
/// the slot advances by its flag. The stores stop once `limit` elements are placed, so `target` needs room
/// for `limit` elements only; `limit` must be at least the number of selected elements in `range`.
func compactSelected(
    _ source: UnsafeRawPointer, stride: Int, elementBytes: Int, flags: UnsafePointer<UInt8>, flagStride: Int,
    range: Range<Int>, into target: UnsafeMutableRawPointer, limit: Int
) -> Int {
    switch elementBytes {
    case 8:
        return compact(source.assumingMemoryBound(to: UInt64.self), stride, flags, flagStride, range, target.assumingMemoryBound(to: UInt64.self), limit)
    case 4:
        return compact(source.assumingMemoryBound(to: UInt32.self), stride, flags, flagStride, range, target.assumingMemoryBound(to: UInt32.self), limit)
    case 2:
        return compact(source.assumingMemoryBound(to: UInt16.self), stride, flags, flagStride, range, target.assumingMemoryBound(to: UInt16.self), limit)
    case 1:
        return compact(source.assumingMemoryBound(to: UInt8.self), stride, flags, flagStride, range, target.assumingMemoryBound(to: UInt8.self), limit)
    default:
        var n = 0
        for i in range where n < limit && flags[i * flagStride] != 0 {
            (target + n * elementBytes).copyMemory(from: source + i * stride * elementBytes, byteCount: elementBytes)
            n += 1
        }
        return n
    }
}

@inline(__always)
private func compact<T>(
    _ source: UnsafePointer<T>, _ stride: Int, _ flags: UnsafePointer<UInt8>, _ flagStride: Int, _ range: Range<Int>,
    _ target: UnsafeMutablePointer<T>, _ limit: Int
) -> Int {
    var n = 0
    var i = range.lowerBound
    let end = range.upperBound
    if stride == 1 && flagStride == 1 {
        while i < end && n < limit {
            target[n] = source[i]
            n &+= flags[i] != 0 ? 1 : 0
            i &+= 1
        }
    } else {
        while i < end && n < limit {
            target[n] = source[i &* stride]
            n &+= flags[i &* flagStride] != 0 ? 1 : 0
            i &+= 1
        }
    }
    return n
}
