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
final class GrowableArray<Element: BitwiseCopyable>: RandomAccessCollection {
    private var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 16) {
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

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(i: Int) -> Element {
        precondition(i >= 0 && i < count, "index \(i) out of range 0..<\(count)")
        return base[i]
    }

    @inline(__always) func append(_ value: Element) {
        if count == capacity { grow(to: count + 1) }
        (base + count).initialize(to: value)
        count += 1
    }

    @inline(__always) func append(copying values: UnsafeBufferPointer<Element>) {
        guard let source = values.baseAddress else { return }
        if count + values.count > capacity { grow(to: count + values.count) }
        (base + count).initialize(from: source, count: values.count)
        count += values.count
    }

    func removeAll() { count = 0 }

    private func grow(to needed: Int) {
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
    @inline(__always) func append(bytes: UnsafeRawBufferPointer) {
        append(copying: bytes.bindMemory(to: UInt8.self))
    }
}
