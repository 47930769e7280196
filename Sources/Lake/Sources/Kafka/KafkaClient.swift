import CRdKafka
import Foundation

/// What the Kafka source and producer share: librdkafka configurations built from a job's
/// settings, with every error naming the brokers and what to do (SPEC §14).
enum KafkaClient {
    /// Settings lake sets itself: offsets are lake's (catalog), not the group's.
    static let reserved: Set<String> = [
        "bootstrap.servers", "metadata.broker.list", "group.id", "enable.auto.commit",
        "enable.auto.offset.store", "enable.partition.eof", "auto.offset.reset",
    ]

    /// Checks one client setting the way librdkafka will apply it; nil when it is accepted.
    static func check(_ name: String, _ value: String) -> String? {
        if reserved.contains(name) {
            return "lake sets \(name) itself (brokers and group are [source] keys; offsets live in the catalog)"
        }
        guard let conf = rd_kafka_conf_new() else { return "librdkafka could not allocate a configuration" }
        defer { rd_kafka_conf_destroy(conf) }
        return set(conf, name, value)
    }

    /// A configuration with the job's client settings and `extra` (lake's own) applied.
    static func configuration(_ settings: KafkaSourceSettings, _ extra: [(String, String)]) throws -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw LakeError("kafka", "librdkafka could not allocate a configuration")
        }
        // librdkafka's own log lines (every failed connection) stay quiet: errors reach lake
        // through the error callback and become one line or an outage in `lake status`.
        // `[source.kafka] log_level = 6` brings them back.
        let quiet = settings.properties["log_level"] == nil ? [("log_level", "2")] : []
        for (name, value) in quiet + settings.properties.sorted(by: { $0.key < $1.key }) + extra {
            if let problem = set(conf, name, value) {
                rd_kafka_conf_destroy(conf)
                throw LakeError("kafka \(settings.brokers)", "setting \(name): \(problem)",
                                hint: "fix [source.kafka] in the job file")
            }
        }
        return conf
    }

    private static func set(_ conf: OpaquePointer, _ name: String, _ value: String) -> String? {
        var error = [CChar](repeating: 0, count: 512)
        let r = rd_kafka_conf_set(conf, name, value, &error, error.count)
        guard r != RD_KAFKA_CONF_OK else { return nil }
        return KafkaClient.text(error)
    }

    /// A NUL-terminated error buffer librdkafka filled.
    static func text(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    static func errorText(_ code: rd_kafka_resp_err_t) -> String {
        String(cString: rd_kafka_err2str(code))
    }

    /// The bronze `source` of a partition: `kafka:<topic>/<partition>`.
    static func sourceName(topic: String, partition: Int32) -> String {
        "kafka:\(topic)/\(partition)"
    }
}
