/// SplitMix64: a tiny, fast, seeded generator for reproducible data (demo letters, benchmark
/// inputs, large test cases). Not for secrets.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The generator's output function applied to `x + golden gamma`: a good 64-bit mix.
    public static func mix(_ x: UInt64) -> UInt64 {
        finalize(x &+ 0x9E37_79B9_7F4A_7C15)
    }

    static func finalize(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.finalize(state)
    }
}
