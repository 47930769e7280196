/// Evaluates an expression for row `row` of the batch whose column views are `columns`; nil is
/// SQL NULL.
typealias ExprEval<Value> = (UnsafePointer<ColumnView>, Int) -> Value?

/// A compiled scalar expression: a tree of closures built once per job load. Evaluating a row
/// allocates nothing: closures capture only child closures and values built at compile time.
enum CompiledExpr {
    case int64((UnsafePointer<ColumnView>, Int) -> Int64?)
    case double((UnsafePointer<ColumnView>, Int) -> Double?)
    case bool((UnsafePointer<ColumnView>, Int) -> Bool?)
    /// Bytes valid until the next evaluation of this closure (or while the batch is unchanged).
    case string((UnsafePointer<ColumnView>, Int) -> UnsafeRawBufferPointer?)
    /// UTC microseconds since 1970.
    case timestamp((UnsafePointer<ColumnView>, Int) -> Int64?)

    var type: GoldType {
        switch self {
        case .int64: .int64
        case .double: .double
        case .bool: .bool
        case .string: .string
        case .timestamp: .timestamp
        }
    }

    /// A closure that is always NULL, for `null` read as `type`.
    static func null(_ type: GoldType) -> CompiledExpr {
        switch type {
        case .int64: .int64 { _, _ in nil }
        case .double: .double { _, _ in nil }
        case .bool: .bool { _, _ in nil }
        case .string: .string { _, _ in nil }
        case .timestamp: .timestamp { _, _ in nil }
        }
    }

    // The accessors below unwrap a case the type checker has already fixed; a mismatch is a bug
    // in the compiler, not in the job file.

    var int64Eval: ExprEval<Int64> {
        switch self {
        case .int64(let eval), .timestamp(let eval): return eval
        case .bool(let eval): return { columns, row in eval(columns, row).map { $0 ? 1 : 0 } }
        default: preconditionFailure("expression compiled as \(type), read as int64")
        }
    }

    var doubleEval: ExprEval<Double> {
        switch self {
        case .double(let eval): return eval
        case .int64(let eval): return { columns, row in eval(columns, row).map(Double.init) }
        default: preconditionFailure("expression compiled as \(type), read as double")
        }
    }

    var boolEval: ExprEval<Bool> {
        guard case .bool(let eval) = self else {
            preconditionFailure("expression compiled as \(type), read as bool")
        }
        return eval
    }

    var stringEval: ExprEval<UnsafeRawBufferPointer> {
        guard case .string(let eval) = self else {
            preconditionFailure("expression compiled as \(type), read as string")
        }
        return eval
    }
}

/// Bytes owned for the lifetime of the closures that capture them (a string literal).
final class ExprBytes {
    let buffer: UnsafeRawBufferPointer
    private let storage: UnsafeMutableRawPointer

    init(_ text: String) {
        let utf8 = Array(text.utf8)
        storage = .allocate(byteCount: Swift.max(1, utf8.count), alignment: 1)
        let target = storage
        utf8.withUnsafeBytes { source in
            if let base = source.baseAddress {
                target.copyMemory(from: base, byteCount: source.count)
            }
        }
        buffer = UnsafeRawBufferPointer(start: storage, count: utf8.count)
    }

    deinit { storage.deallocate() }
}

/// The output buffer of one closure that builds strings (lower, upper): it grows to the longest
/// value seen and is then reused, so rows after the first allocate nothing.
final class ExprScratch {
    private(set) var pointer: UnsafeMutableRawPointer
    private var capacity: Int

    init(capacity: Int = 64) {
        self.capacity = capacity
        pointer = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { pointer.deallocate() }

    /// Room for `count` bytes; the previous contents are not kept.
    @inline(__always) func reserve(_ count: Int) -> UnsafeMutableRawPointer {
        if count > capacity {
            var grown = capacity
            while grown < count { grown *= 2 }
            pointer.deallocate()
            pointer = .allocate(byteCount: grown, alignment: 8)
            capacity = grown
        }
        return pointer
    }
}
