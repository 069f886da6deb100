/// The key of rank `rank` (0-based, ascending) among `keys`, whose top `resolvedBits` bits are all equal:
/// a serial most-significant-digit radix select, 16 bits a round, for the few keys an order statistic
/// gathers.
func radixSelect(_ keys: [UInt64], resolvedBits: Int, rank: Int) -> UInt64 {
    var keys = keys
    var bits = resolvedBits
    var rank = rank
    while true {
        if keys.count <= 4096 || bits >= 64 {
            keys.sort()
            return keys[rank]
        }
        let shift = UInt64(48 - bits)
        var counts = [Int](repeating: 0, count: 1 << 16)
        for k in keys { counts[Int((k >> shift) & 0xFFFF)] += 1 }
        var below = 0
        var digit = 0
        while below + counts[digit] <= rank {
            below += counts[digit]
            digit += 1
        }
        rank -= below
        var kept = 0
        for i in keys.indices where Int((keys[i] >> shift) & 0xFFFF) == digit {
            keys[kept] = keys[i]
            kept += 1
        }
        keys.removeLast(keys.count - kept)
        bits += 16
    }
}
