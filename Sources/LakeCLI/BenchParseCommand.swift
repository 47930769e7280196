import ArgumentParser
import Foundation
import Lake

/// `lake bench-parse FILE`: the silver parser's speed on the lines of an NDJSON file, in memory
/// (no I/O, no Parquet): what `make bench` reports as the parser's throughput and what parser
/// changes are measured with. Hidden from the command list.
struct BenchParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-parse",
        abstract: "Measure the silver parser on an NDJSON file's lines (in memory).",
        shouldDisplay: false)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The job whose silver mapping parses the lines (default: the only job).") var job: String?
    @Option(help: "Lines read from the file.") var lines = 200_000
    @Option(help: "Seconds to keep parsing.") var seconds = 2.0
    @Option(help: "Stop after this many passes (e.g. to count instructions with `perf stat`).") var passes: Int?
    @Argument(help: "An NDJSON file (e.g. a landing file of `lake generate`).") var file: String

    func run() throws {
        let jobs = try global.loadJobs(only: job)
        guard jobs.count == 1, let definition = jobs.first else {
            throw LakeError("bench-parse", path: global.jobs, "\(jobs.count) jobs", hint: "pass --job NAME")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw LakeError("bench-parse", path: file, "cannot read the file", hint: "pass an NDJSON file")
        }
        var all: [[UInt8]] = []
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var start = 0
            for i in 0..<bytes.count where bytes[i] == 0x0A {
                if all.count >= lines { break }
                all.append(Array(bytes[start..<i]))
                start = i + 1
            }
        }
        let s = definition.silver
        let speed = EventParser.benchmark(
            lines: all, fields: s.columns, timestampFormat: s.timestampFormat, secondsMin: passes == nil ? seconds : .infinity,
            passCountMax: passes ?? .max)
        print("\(all.count) lines, \(speed.acceptedLineCount) accepted: \(speed)")
    }
}
