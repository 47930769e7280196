/// One session of one user: events separated by gaps of at most the session gap.
/// Revenue is summed in micro-units (integers) so the total does not depend on the order in
/// which events arrive: every split of the input into runs gives the same bits. The sum
/// saturates at ±Int64.max micro-units (±9.2e12): absurd purchase totals must not trap.
struct Session: Equatable {
    var start: Int64
    var end: Int64
    var count: Int64
    var purchased: Bool
    var cart: Bool
    var revenueMicros: Int64

    init(event t: Int64, purchase: Bool, cart: Bool, revenueMicros: Int64) {
        start = t
        end = t
        count = 1
        purchased = purchase
        self.cart = cart
        self.revenueMicros = purchase ? revenueMicros : 0
    }

    mutating func absorb(_ other: Session) {
        start = min(start, other.start)
        end = max(end, other.end)
        count += other.count
        purchased = purchased || other.purchased
        cart = cart || other.cart
        let (sum, overflow) = revenueMicros.addingReportingOverflow(other.revenueMicros)
        revenueMicros = overflow ? (other.revenueMicros > 0 ? Int64.max : Int64.min) : sum
    }

    func windowEnd(gapMicros: Int64) -> Int64 { end + gapMicros }

    var abandoned: Bool { cart && !purchased }

    static func micros(ofAmount amount: Double) -> Int64 {
        guard amount.isFinite, abs(amount) < 9e12 else { return 0 }
        return Int64((amount * 1_000_000).rounded())
    }
}

/// The open sessions of one user, sorted by start, pairwise more than one gap apart.
struct UserSessions {
    var sessions: [Session] = []
    /// Set by `add`: the user's open sessions differ from what the last gold commit wrote to
    /// SQLite (gold rewrites only such users' rows and clears the flag).
    var changed = false

    /// Adds an event: it joins every session within one gap of it (0, 1 or 2 — merging two),
    /// or starts a new one. A gap of exactly `gapMicros` continues a session. Sessions are
    /// sorted and more than a gap apart, so their ends are sorted too: a binary search finds the
    /// first session that can reach the event.
    mutating func add(_ event: Session, gapMicros: Int64) {
        changed = true
        let t = event.start
        var lo = 0
        var hi = sessions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sessions[mid].end + gapMicros < t { lo = mid + 1 } else { hi = mid }
        }
        var merged = event
        var end = lo
        while end < sessions.count && sessions[end].start - gapMicros <= t {
            merged.absorb(sessions[end])
            end += 1
        }
        if end == lo {
            sessions.insert(merged, at: lo)
        } else {
            sessions[lo] = merged
            if end > lo + 1 { sessions.removeSubrange((lo + 1)..<end) }
        }
    }

    /// Removes and returns the sessions whose window end is at or before `watermark` (a prefix,
    /// since ends are sorted).
    mutating func close(watermark: Int64, gapMicros: Int64) -> [Session] {
        var count = 0
        while count < sessions.count && sessions[count].windowEnd(gapMicros: gapMicros) <= watermark { count += 1 }
        guard count > 0 else { return [] }
        let closed = Array(sessions[0..<count])
        sessions.removeFirst(count)
        return closed
    }
}
