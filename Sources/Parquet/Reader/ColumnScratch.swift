/// Buffers one column keeps from one row group to the next while a caller streams row groups:
/// the compressed chunk bytes, the zstd context with its page buffer, and the arrays of the
/// previous `ColumnData` once the caller hands it back with `recycle`.
///
/// Without it every row group allocated its buffers afresh; for bronze's body column (about
/// 14 MB a row group) that meant new pages from the kernel each time, zero-filled and faulted
/// in: a third of silver's reading time (bench/NOTES.md). Not thread-safe: one scratch per
/// column per reading thread.
public final class ColumnScratch {
    var compressed: [UInt8] = []
    private var decompressorStorage: ZstdDecompressor?
    private var spare: ColumnData?

    public init() {}

    var decompressor: ZstdDecompressor {
        if let d = decompressorStorage { return d }
        let d = ZstdDecompressor()
        decompressorStorage = d
        return d
    }

    /// Gives back a column the caller is done with, so the next chunk decodes into its arrays.
    /// Harmless when the caller still holds a copy: the arrays are then copied on write.
    public func recycle(_ data: ColumnData) { spare = data }

    /// The spare column's values, emptied with their capacity kept, or nil.
    func takeSpare() -> (validity: [Bool], values: ColumnValues)? {
        guard var data = spare else { return nil }
        spare = nil
        var validity = data.validity ?? []
        var values = data.values
        data.validity = nil
        data.values = .boolean([])
        validity.removeAll(keepingCapacity: true)
        values.removeAll()
        return (validity, values)
    }
}

extension ColumnValues {
    /// Empties the values in place, keeping their capacity.
    mutating func removeAll() {
        switch self {
        case .boolean(var v): self = .boolean([]); v.removeAll(keepingCapacity: true); self = .boolean(v)
        case .int32(var v): self = .int32([]); v.removeAll(keepingCapacity: true); self = .int32(v)
        case .int64(var v): self = .int64([]); v.removeAll(keepingCapacity: true); self = .int64(v)
        case .float(var v): self = .float([]); v.removeAll(keepingCapacity: true); self = .float(v)
        case .double(var v): self = .double([]); v.removeAll(keepingCapacity: true); self = .double(v)
        case .bytes(var v):
            self = .bytes(ByteArrays())
            v.data.removeAll(keepingCapacity: true)
            v.ends.removeAll(keepingCapacity: true)
            self = .bytes(v)
        }
    }
}
