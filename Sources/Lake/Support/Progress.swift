import Foundation

/// A one-line progress counter on stderr for long work (a big landing file, a backfill), shown
/// only when stderr is a terminal; scripts and cron logs stay quiet. Call `add` as often as you
/// like: it looks at the clock only every 64k units.
public final class Progress {
    let label: String
    let enabled: Bool
    private var count = 0
    private var sinceCheck = 0
    private var lastPrint = Date()
    private let started = Date()
    private var printed = false

    public init(_ label: String, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label
        self.enabled = enabled
    }

    @inline(__always) public func add(_ n: Int = 1) {
        count += n
        sinceCheck += n
        if sinceCheck >= 65_536 {
            sinceCheck = 0
            if enabled { maybePrint() }
        }
    }

    private func maybePrint() {
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= 0.5 else { return }
        lastPrint = now
        let rate = Double(count) / max(0.001, now.timeIntervalSince(started))
        FileHandle.standardError.write(Data("\r\(label): \(count) (\(Int(rate))/s)   ".utf8))
        printed = true
    }

    /// Clears the line (the caller prints its own summary).
    public func finish() {
        if printed { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        printed = false
    }
}
