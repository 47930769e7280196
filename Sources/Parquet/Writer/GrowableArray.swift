#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Append-only storage for the values of a column buffer. Unlike `Array`, an append checks
/// neither uniqueness nor retains anything: a column buffer owns its storage outright, and
/// silver appends ~20 values per row (profiles: ~15% of silver's time went to `Array.append`
/// and its uniqueness checks). Capacity is kept across `removeAll()`, so a reused buffer
/// allocates nothing.
@usableFromInline
final class GrowableArray<Element: BitwiseCopyable>: RandomAccessCollection {
    // Visible to inlined code (silver's appends are inlined into the Lake module): written only
    // by this type's own methods.
    @usableFromInline var base: UnsafeMutablePointer<Element>
    @usableFromInline var count = 0
    @usableFromInline var capacity: Int

    @usableFromInline init(capacity: Int = 16) {
        self.capacity = Swift.max(16, capacity)
        base = Self.reallocate(nil, capacity: self.capacity)
    }

    deinit { free(base) }

    /// malloc/realloc rather than allocate-copy-free: glibc grows a large (mmapped) block with
    /// `mremap`, which keeps its pages, so a growing column buffer neither copies its values
    /// nor faults in fresh pages for the old part (a page fault costs ~2–40 µs on the VMs we run
    /// on; `run all`'s faults 40.9k → 38.0k).
    private static func reallocate(_ old: UnsafeMutablePointer<Element>?, capacity: Int) -> UnsafeMutablePointer<Element> {
        let bytes = capacity * MemoryLayout<Element>.stride
        guard let raw = realloc(old, bytes) else { fatalError("out of memory growing a column buffer to \(bytes) bytes") }
        return raw.bindMemory(to: Element.self, capacity: capacity)
    }

    @usableFromInline var startIndex: Int { 0 }
    @usableFromInline var endIndex: Int { count }

    @usableFromInline subscript(i: Int) -> Element {
        precondition(i >= 0 && i < count, "index \(i) out of range 0..<\(count)")
        return base[i]
    }

    @inlinable @inline(__always) func append(_ value: Element) {
        if count == capacity { grow(to: count + 1) }
        (base + count).initialize(to: value)
        count += 1
    }

    @inlinable @inline(__always) func append(copying values: UnsafeBufferPointer<Element>) {
        guard let source = values.baseAddress else { return }
        if count + values.count > capacity { grow(to: count + values.count) }
        (base + count).initialize(from: source, count: values.count)
        count += values.count
    }

    func removeAll() { count = 0 }

    /// Appends `n` elements that `initialize` writes through the pointer it is given (to the
    /// first of them); it must initialize all `n`.
    @inline(__always)
    func appendUninitialized(count n: Int, _ initialize: (UnsafeMutableRawPointer) throws -> Void) rethrows {
        precondition(n >= 0)
        if count + n > capacity { grow(to: count + n) }
        try initialize(UnsafeMutableRawPointer(base + count))
        count += n
    }

    @usableFromInline func grow(to needed: Int) {
        var c = capacity
        while c < needed { c *= 2 }
        base = Self.reallocate(base, capacity: c)
        capacity = c
    }

    /// The elements as a buffer; valid until the next append.
    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }

    /// The raw bytes of elements `range`; valid until the next append.
    func rawBytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count)
        return UnsafeRawBufferPointer(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(buffer))
    }
}

extension GrowableArray where Element == UInt8 {
    /// Appends raw bytes. Values of up to 32 bytes (most string cells) are copied inline as
    /// overlapping word loads and stores, which stay inside both buffers; a `memcpy` call cost
    /// more than the copy on such sizes (silver appends ~11 strings per row).
    @inlinable @inline(__always) func append(bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        if n <= 32 {
            guard n > 0, let source = bytes.baseAddress else { return }
            if count &+ n > capacity { grow(to: count + n) }
            Self.copySmall(from: source, to: UnsafeMutableRawPointer(base + count), count: n)
            count &+= n
            return
        }
        append(copying: bytes.bindMemory(to: UInt8.self))
    }

    /// Copies 1...32 bytes.
    @inlinable @inline(__always)
    static func copySmall(from source: UnsafeRawPointer, to target: UnsafeMutableRawPointer, count n: Int) {
        if n >= 16 {
            let a = source.loadUnaligned(as: UInt64.self)
            let b = source.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            let c = source.loadUnaligned(fromByteOffset: n &- 16, as: UInt64.self)
            let d = source.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
            target.storeBytes(of: a, as: UInt64.self)
            target.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
            target.storeBytes(of: c, toByteOffset: n &- 16, as: UInt64.self)
            target.storeBytes(of: d, toByteOffset: n &- 8, as: UInt64.self)
        } else if n >= 8 {
            let a = source.loadUnaligned(as: UInt64.self)
            let b = source.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
            target.storeBytes(of: a, as: UInt64.self)
            target.storeBytes(of: b, toByteOffset: n &- 8, as: UInt64.self)
        } else if n >= 4 {
            let a = source.loadUnaligned(as: UInt32.self)
            let b = source.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
            target.storeBytes(of: a, as: UInt32.self)
            target.storeBytes(of: b, toByteOffset: n &- 4, as: UInt32.self)
        } else {
            target.storeBytes(of: source.load(as: UInt8.self), as: UInt8.self)
            target.storeBytes(of: source.load(fromByteOffset: n >> 1, as: UInt8.self), toByteOffset: n >> 1, as: UInt8.self)
            target.storeBytes(of: source.load(fromByteOffset: n &- 1, as: UInt8.self), toByteOffset: n &- 1, as: UInt8.self)
        }
    }
}
