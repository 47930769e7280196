import CRdKafka
import Foundation

/// Bronze from a Kafka topic (SPEC §14): every partition is read to the end the brokers
/// report when the pass starts, each message's value appended byte-exact with `source =
/// kafka:<topic>/<partition>` and `source_offset` = its offset. The partitions' next offsets
/// are source positions, committed in the same transaction as the files, so a message lands
/// exactly once whatever is killed when.
extension BronzeStage {
    /// No message for this long while the brokers report more is a failure, not a wait.
    static let kafkaStallSeconds = 30.0

    /// `untilEnd`: wait for every partition's end as seen at the start (`lake run`); else (a
    /// `--follow` pass) stop when no message came for a second, so a partition whose leader
    /// is down holds nothing else back, and the next pass goes on from there.
    public func ingestKafka(_ consumer: KafkaConsumer, untilEnd: Bool = true) throws -> BronzeResult {
        feed?.start(firstID: nextID)
        onCommitted = { positions in
            var offsets: [Int32: Int64] = [:]
            for (source, p) in positions {
                if let partition = Self.kafkaPartition(source: source, topic: consumer.settings.topic) {
                    offsets[partition] = p.offset
                }
            }
            consumer.commitToGroup(offsets)
        }
        do {
            try abortingOnError { try consume(consumer, untilEnd: untilEnd) }
        } catch {
            // What the consumer fetched past the last commit was not stored: the next pass
            // assigns again from the catalog's offsets.
            consumer.forgetAssignment()
            throw error
        }
        progress.finish()
        return result
    }

    static func kafkaPartition(source: String, topic: String) -> Int32? {
        let prefix = "kafka:\(topic)/"
        guard source.hasPrefix(prefix) else { return nil }
        return Int32(source.dropFirst(prefix.count))
    }

    /// The catalog's next offset and message count per partition of the topic.
    func kafkaPositions(topic: String) throws -> [Int32: (offset: Int64, lines: Int64)] {
        var result: [Int32: (offset: Int64, lines: Int64)] = [:]
        for r in try catalog.db.query("""
            SELECT source, byte_offset, line_count FROM lake_source_position
            WHERE job = ? AND identity = ? AND source LIKE 'kafka:%'
            """, .text(job.name), .text(topic)) {
            if let p = Self.kafkaPartition(source: r[0].text ?? "", topic: topic) {
                result[p] = (r[1].int ?? 0, r[2].int ?? 0)
            }
        }
        return result
    }

    private func consume(_ consumer: KafkaConsumer, untilEnd: Bool) throws {
        let topic = consumer.settings.topic
        let partitions = untilEnd ? try consumer.partitions() : try consumer.knownPartitions()
        let stored = try kafkaPositions(topic: topic)
        var position: [Int32: Int64] = [:]
        var lines: [Int32: Int64] = [:]
        var targets: [Int32: Int64] = [:]
        var remaining = Set<Int32>()
        for p in partitions {
            lines[p] = stored[p]?.lines ?? 0
            var next: Int64
            if untilEnd {
                // `lake run`: the end of every partition as the brokers report it now.
                let (low, high) = try consumer.offsets(partition: p)
                next = stored[p]?.offset ?? low
                if next < low {
                    FileHandle.standardError.write(Data(("lake: kafka \(topic)/\(p): offsets \(next)…\(low - 1) were "
                        + "deleted by the topic's retention before bronze read them; reading from \(low)\n").utf8))
                    next = low
                }
                targets[p] = high
                if next < high { remaining.insert(p) }
            } else {
                // `--follow`: no request per pass; what the fetcher has brought is read.
                next = stored[p]?.offset ?? consumer.assigned[p] ?? 0
                remaining.insert(p)
            }
            position[p] = next
            // Every partition gets a position row from the first pass on, messages or not:
            // silver holds its watermark back for each partition bronze knows of.
            if stored[p] == nil {
                pendingPositions[KafkaClient.sourceName(topic: topic, partition: p)] = (topic, next, 0)
            }
        }
        // The consumer keeps its assignment between passes of a `--follow` run while it
        // agrees with the catalog; new partitions, another process's commits or a failed pass
        // assign again.
        if consumer.assigned != position { try consumer.assign(position) }
        let sources = Dictionary(uniqueKeysWithValues: partitions.map {
            ($0, Array(KafkaClient.sourceName(topic: topic, partition: $0).utf8))
        })
        result.sources += untilEnd ? remaining.count : 0
        let started = Date()
        var lastProgress = started
        var lastError: String?
        while !remaining.isEmpty && !FollowSignals.stopRequested {
            guard let m = consumer.poll(timeoutMs: untilEnd ? 200 : 50) else {
                let quiet = Date().timeIntervalSince(lastProgress)
                // A `--follow` pass ends once the fetched messages are read (a short quiet),
                // or after a second of them, so commits stay frequent under a steady stream.
                if !untilEnd && (quiet > 0.1 || Date().timeIntervalSince(started) > 1) { break }
                if quiet > Self.kafkaStallSeconds {
                    let which = remaining.sorted().map { "\(topic)/\($0) at \(position[$0]!) of \(targets[$0]!)" }
                    throw LakeError("kafka \(consumer.settings.brokers)",
                                    "no message for \(Int(Self.kafkaStallSeconds)) s from " + which.joined(separator: ", ")
                                        + (lastError.map { " (last error: \($0))" } ?? ""),
                                    hint: "are the brokers up and reachable from here?")
                }
                continue
            }
            defer { rd_kafka_message_destroy(m) }
            let message = m.pointee
            let p = message.partition
            if message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                if untilEnd, message.rkt != nil, let target = targets[p], message.offset >= target { remaining.remove(p) }
                continue
            }
            if message.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = KafkaClient.errorText(message.err)
                // Client-wide errors (a broker down) are retried by librdkafka; an error of a
                // partition (its offset out of range, an authorization error) is not.
                guard message.rkt != nil else {
                    lastError = text
                    consumer.noteError(text)
                    continue
                }
                throw LakeError("kafka \(consumer.settings.brokers)", "\(topic)/\(p) at offset \(message.offset): \(text)")
            }
            guard let next = position[p], message.offset >= next else { continue }
            if let payload = message.payload {
                try append(line: UnsafeRawBufferPointer(start: payload, count: message.len), source: sources[p]!,
                           offset: message.offset)
            } else {
                pendingTombstones += 1
            }
            position[p] = message.offset + 1
            lines[p]! += 1
            consumer.advance(partition: p, to: message.offset + 1)
            pendingPositions[KafkaClient.sourceName(topic: topic, partition: p)] = (topic, message.offset + 1, lines[p]!)
            lastProgress = Date()
            if untilEnd && message.offset + 1 >= targets[p]! { remaining.remove(p) }
            if batchRows >= commitRowCountMax { try commit() }
        }
        if !untilEnd {
            result.sources += Set(pendingPositions.keys).count
            result.kafkaStalled = consumer.recentError()
        }
        try commit()
    }
}
