import Sluice

/// What one captured stream delivered, for the final report.
struct StreamCounters: Equatable {
    var lines = 0
    var bytes = 0
    /// Lines written after `--idle` without their newline.
    var partialLines = 0
    /// Lines cut at `--max-line`.
    var truncatedLines = 0
    /// JSON lines written as structured records (`--parse-level`).
    var structuredLines = 0
    /// Why copying to the console (`--tee`) stopped, if it did.
    var teeError: String?

    mutating func add(_ other: StreamCounters) {
        lines += other.lines
        bytes += other.bytes
        partialLines += other.partialLines
        truncatedLines += other.truncatedLines
        structuredLines += other.structuredLines
        teeError = teeError ?? other.teeError
    }
}

/// One stream being captured (a program's standard output or error, or `sluice pipe`'s input): its
/// descriptor, its line splitter and where its lines go. Owned by the reader's thread.
struct CaptureStream {
    /// The stream's name in records: `stdout`, `stderr` or `stdin`.
    let name: String
    let descriptor: Int32
    /// Where `--tee` copies the bytes, if anywhere.
    private var teeDescriptor: Int32?
    private var splitter: LineSplitter<ContinuousClock>
    private var writer: CapturedLineWriter
    private(set) var isOpen = true

    var counters: StreamCounters { writer.counters }

    init(
        name: String, descriptor: Int32, teeDescriptor: Int32?, pipeline: LogPipeline, label: String,
        level: LogLevel, options: CaptureOptions
    ) {
        self.name = name
        self.descriptor = descriptor
        self.teeDescriptor = teeDescriptor
        splitter = LineSplitter(maxLineBytes: options.maxLineBytes, idle: options.idle)
        writer = CapturedLineWriter(
            lines: pipeline.rawLineLogger(label: label, stream: name, level: level),
            partialLines: pipeline.rawLineLogger(label: label, stream: name, level: level, metadata: ["partial": true]),
            parseLevel: options.parseLevel)
    }

    var idleDeadline: ContinuousClock.Instant? { splitter.idleDeadline }

    /// Handles bytes just read.
    mutating func received(_ chunk: UnsafeRawBufferPointer, now: ContinuousClock.Instant, timestamp: LogTimestamp) {
        writer.counters.bytes += chunk.count
        if let tee = teeDescriptor {
            let (_, error) = FileDescriptorIO.writeAll(tee, chunk)
            if let error {
                // The console went away (a closed pipe, say): stop copying, keep capturing.
                writer.counters.teeError =
                    "copying to descriptor \(tee) stopped: \(SluiceError.describe(errno: error))"
                teeDescriptor = nil
            }
        }
        splitter.feed(chunk, now: now) { line in writer.write(line, timestamp: timestamp) }
    }

    /// Writes a partial line that has waited long enough.
    mutating func idleCheck(now: ContinuousClock.Instant) {
        guard splitter.hasPendingLine else { return }
        splitter.idleCheck(now: now) { line in writer.write(line, timestamp: .now()) }
    }

    /// The stream ended: writes what is left.
    mutating func finish() {
        splitter.finish { line in writer.write(line, timestamp: .now()) }
        isOpen = false
    }
}

/// Turns captured lines into records: the level (parsed with `--parse-level`), JSON lines as
/// structured records, the truncation marker, partial lines marked.
struct CapturedLineWriter {
    let lines: RawLineLogger
    let partialLines: RawLineLogger
    let parseLevel: Bool
    var counters = StreamCounters()
    private var scratch: [UInt8] = []

    init(lines: RawLineLogger, partialLines: RawLineLogger, parseLevel: Bool) {
        self.lines = lines
        self.partialLines = partialLines
        self.parseLevel = parseLevel
    }

    mutating func write(_ line: CapturedLine, timestamp: LogTimestamp) {
        counters.lines += 1
        let logger = line.isPartial ? partialLines : lines
        var level = logger.level
        if line.isPartial {
            counters.partialLines += 1
        }
        if parseLevel && !line.isPartial && !line.isTruncated
            && line.bytes.first(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) == UInt8(ascii: "{"),
            let parsed = JSONLineParser.parse(line.bytes)
        {
            counters.structuredLines += 1
            logger.write(
                message: parsed.message, level: parsed.level ?? level, metadata: parsed.metadata, timestamp: timestamp)
            return
        }
        if parseLevel {
            level = LineLevelParser.level(in: line.bytes) ?? level
        }
        guard line.isTruncated else {
            logger.write(line.bytes, level: level, timestamp: timestamp)
            return
        }
        counters.truncatedLines += 1
        // The same marker the formats put after a message they cut.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: line.bytes)
        scratch.append(contentsOf: "…[truncated, \(line.originalLength) bytes]".utf8)
        scratch.withUnsafeBytes { logger.write($0, level: level, timestamp: timestamp) }
    }
}
