import CRdKafka
import Foundation

/// Produces lines to a topic (`lake generate --kafka`): idempotent, so a retry inside
/// librdkafka never writes a message twice; each message keyed (copies of an event share a
/// key, hence a partition, as SPEC §14 expects of producers).
public final class KafkaProducer {
    public let brokers: String
    public let topic: String
    private let handle: OpaquePointer
    private let topicHandle: OpaquePointer
    private let failures: Failures

    /// Delivery failures, counted by librdkafka's callback on the thread that polls.
    private final class Failures {
        var count = 0
        var first: String?
    }

    public init(brokers: String, topic: String) throws {
        self.brokers = brokers
        self.topic = topic
        let settings = KafkaSourceSettings(brokers: brokers, topic: topic, group: "")
        let conf = try KafkaClient.configuration(settings, [
            ("bootstrap.servers", brokers), ("enable.idempotence", "true"), ("linger.ms", "20"),
        ])
        let failures = Failures()
        self.failures = failures
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(failures).toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            guard let message, let opaque, message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
            let failures = Unmanaged<Failures>.fromOpaque(opaque).takeUnretainedValue()
            failures.count += 1
            if failures.first == nil { failures.first = KafkaClient.errorText(message.pointee.err) }
        }
        var error = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &error, error.count) else {
            rd_kafka_conf_destroy(conf)
            throw LakeError("kafka \(brokers)", "cannot create a producer: \(KafkaClient.text(error))")
        }
        handle = rk
        guard let t = rd_kafka_topic_new(rk, topic, nil) else {
            rd_kafka_destroy(rk)
            throw LakeError("kafka \(brokers)", "cannot open topic \(topic)")
        }
        topicHandle = t
    }

    deinit {
        rd_kafka_topic_destroy(topicHandle)
        rd_kafka_destroy(handle)
    }

    /// Queues one message (the bytes are copied); waits for room when the queue is full.
    public func produce(_ value: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer?) throws {
        while true {
            let r = rd_kafka_produce(topicHandle, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                                     UnsafeMutableRawPointer(mutating: value.baseAddress), value.count,
                                     key?.baseAddress, key?.count ?? 0, nil)
            if r == 0 { return }
            let code = rd_kafka_last_error()
            guard code == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw LakeError("kafka \(brokers)", "cannot produce to \(topic): \(KafkaClient.errorText(code))")
            }
            _ = rd_kafka_poll(handle, 100)
        }
    }

    /// Waits until every queued message is acknowledged; throws if any was not.
    public func flush(timeoutSeconds: Int = 60) throws {
        let code = rd_kafka_flush(handle, Int32(timeoutSeconds * 1000))
        _ = rd_kafka_poll(handle, 0)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw LakeError("kafka \(brokers)", "\(rd_kafka_outq_len(handle)) messages still unacknowledged after "
                + "\(timeoutSeconds) s: \(KafkaClient.errorText(code))", hint: "are the brokers up and reachable from here?")
        }
        if failures.count > 0 {
            throw LakeError("kafka \(brokers)", "\(failures.count) messages were not delivered to \(topic): "
                + (failures.first ?? "unknown error"))
        }
    }
}
