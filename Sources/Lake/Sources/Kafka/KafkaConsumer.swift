import CRdKafka
import Foundation

/// A job's Kafka consumer (SPEC §14). Partitions are assigned explicitly at the offsets the
/// catalog holds; librdkafka neither stores nor commits offsets on its own, so what bronze
/// committed is the only position there is. The group's offsets are committed after each
/// bronze commit, for monitoring tools only.
///
/// Used by one thread at a time (the pass that owns it); `@unchecked Sendable` so a `--follow`
/// loop can keep it between passes.
public final class KafkaConsumer: @unchecked Sendable {
    public let settings: KafkaSourceSettings
    private let handle: OpaquePointer
    private let topic: OpaquePointer
    /// Partition → the offset of the next message this consumer will deliver, as assigned.
    private(set) var assigned: [Int32: Int64] = [:]
    /// How long one metadata or offsets request may take before the brokers count as unreachable.
    let requestTimeoutMs: Int32 = 10_000

    public init(_ settings: KafkaSourceSettings) throws {
        self.settings = settings
        let conf = try KafkaClient.configuration(settings, [
            ("bootstrap.servers", settings.brokers), ("group.id", settings.group),
            ("enable.auto.commit", "false"), ("enable.auto.offset.store", "false"),
            ("enable.partition.eof", "true"), ("auto.offset.reset", "earliest"),
            // A consumer that keeps a fetched backlog small: bronze reads as fast as it fetches.
            ("queued.max.messages.kbytes", "65536"),
        ])
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(errors).toOpaque())
        rd_kafka_conf_set_error_cb(conf) { _, code, reason, opaque in
            guard let opaque else { return }
            let text = reason.map { String(cString: $0) } ?? KafkaClient.errorText(rd_kafka_resp_err_t(code))
            Unmanaged<Errors>.fromOpaque(opaque).takeUnretainedValue().last = (text, Date())
        }
        rd_kafka_conf_set_offset_commit_cb(conf) { _, _, _, opaque in
            guard let opaque else { return }
            Unmanaged<Errors>.fromOpaque(opaque).takeUnretainedValue().commitsInFlight -= 1
        }
        var error = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &error, error.count) else {
            rd_kafka_conf_destroy(conf)
            throw LakeError("kafka \(settings.brokers)", "cannot create a consumer: \(KafkaClient.text(error))",
                            hint: "check [source] brokers and [source.kafka]")
        }
        handle = rk
        // Errors (a broker unreachable), logs and commit results come out of `poll` with the
        // messages, instead of piling up in a queue nobody serves.
        rd_kafka_poll_set_consumer(rk)
        guard let t = rd_kafka_topic_new(rk, settings.topic, nil) else {
            rd_kafka_destroy(rk)
            throw LakeError("kafka \(settings.brokers)", "cannot open topic \(settings.topic)")
        }
        topic = t
    }

    deinit {
        // The last group commits get two seconds to be answered (they are for monitoring only).
        let deadline = Date().addingTimeInterval(2)
        while errors.commitsInFlight > 0 && Date() < deadline {
            if let m = rd_kafka_consumer_poll(handle, 100) { rd_kafka_message_destroy(m) }
        }
        rd_kafka_topic_destroy(topic)
        // No group membership to leave (partitions are assigned, not subscribed), and a close
        // would wait for the group coordinator, which may be the broker that is down.
        rd_kafka_destroy_flags(handle, Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE))
    }

    private func failure(_ what: String, _ code: rd_kafka_resp_err_t) -> LakeError {
        let reason = KafkaClient.errorText(code)
        let unreachable = code == RD_KAFKA_RESP_ERR__TRANSPORT || code == RD_KAFKA_RESP_ERR__TIMED_OUT
            || code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN
        return LakeError("kafka \(settings.brokers)", "\(what): \(reason)",
                         hint: unreachable ? "are the brokers up and reachable from here?" : nil)
    }

    /// The topic's partitions now (a metadata request: new partitions show up here).
    public func partitions() throws -> [Int32] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(handle, 0, topic, &metadata, Int32(requestTimeoutMs))
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let md = metadata else {
            throw failure("cannot read the metadata of topic \(settings.topic)", code)
        }
        defer { rd_kafka_metadata_destroy(md) }
        guard md.pointee.topic_cnt >= 1 else { throw LakeError("kafka \(settings.brokers)", "no topic \(settings.topic)") }
        let t = md.pointee.topics[0]
        if t.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw LakeError("kafka \(settings.brokers)", "topic \(settings.topic): \(KafkaClient.errorText(t.err))",
                            hint: t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? "create the topic, or fix [source] topic" : nil)
        }
        return (0..<Int(t.partition_cnt)).map { t.partitions[$0].id }.sorted()
    }

    /// The partition's first and next offsets on the broker now.
    public func offsets(partition: Int32) throws -> (low: Int64, high: Int64) {
        var low: Int64 = 0, high: Int64 = 0
        let code = rd_kafka_query_watermark_offsets(handle, settings.topic, partition, &low, &high, requestTimeoutMs)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw failure("cannot read the offsets of \(settings.topic)/\(partition)", code)
        }
        return (low, high)
    }

    /// The partition's next offset as the consumer last heard it from its fetches (no request).
    func cachedHigh(partition: Int32) -> Int64? {
        var low: Int64 = 0, high: Int64 = 0
        guard rd_kafka_get_watermark_offsets(handle, settings.topic, partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
              high >= 0 else { return nil }
        return high
    }

    /// Assigns exactly these partitions at these offsets (the catalog's positions); librdkafka
    /// drops what it had fetched beyond them.
    func assign(_ offsets: [Int32: Int64]) throws {
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (p, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            rd_kafka_topic_partition_list_add(list, settings.topic, p).pointee.offset = offset
        }
        let code = rd_kafka_assign(handle, list)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else { throw failure("cannot assign partitions", code) }
        assigned = offsets
    }

    /// The partitions as last read from the brokers, read again every 10 s (a `--follow` pass
    /// makes no request of its own; a failed refresh keeps the last list and counts as an error).
    func knownPartitions() throws -> [Int32] {
        if known.isEmpty || Date().timeIntervalSince(knownAt) > 10 {
            knownAt = Date()
            do {
                known = try partitions()
            } catch let error as LakeError where !known.isEmpty {
                noteError(error.message)
            }
        }
        return known
    }
    private var known: [Int32] = []
    private var knownAt = Date.distantPast

    /// A client-wide error (a broker unreachable) librdkafka reported; it keeps retrying.
    func noteError(_ text: String) {
        errors.last = (text, Date())
    }
    /// Where librdkafka's error callback (served on the thread that polls) leaves the last one.
    private final class Errors {
        var last: (text: String, at: Date)?
        /// Group commits sent and not yet answered.
        var commitsInFlight = 0
    }
    private let errors = Errors()

    /// The last error if it came within the last 15 s (librdkafka repeats them while an outage
    /// lasts, with backoff), else nil: what `lake status` shows as an outage.
    func recentError() -> String? {
        guard let e = errors.last, Date().timeIntervalSince(e.at) < 15 else { return nil }
        return "\(e.text) (\(settings.brokers))"
    }

    /// After a failed pass: the next one assigns again from the catalog's offsets.
    func forgetAssignment() { assigned = [:] }

    /// Marks that the consumer has delivered up to `next` in `partition`.
    func advance(partition: Int32, to next: Int64) { assigned[partition] = next }

    /// The next message or event, or nil after `timeoutMs`; the caller destroys it.
    func poll(timeoutMs: Int32) -> UnsafeMutablePointer<rd_kafka_message_t>? {
        rd_kafka_consumer_poll(handle, timeoutMs)
    }

    /// Commits the positions to the consumer group, without waiting: the group's offsets are
    /// only for monitoring (`kafka-consumer-groups --describe`), lake's are in the catalog.
    func commitToGroup(_ offsets: [Int32: Int64]) {
        guard !offsets.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (p, offset) in offsets { rd_kafka_topic_partition_list_add(list, settings.topic, p).pointee.offset = offset }
        if rd_kafka_commit(handle, list, 1) == RD_KAFKA_RESP_ERR_NO_ERROR { errors.commitsInFlight += 1 }
    }
}
