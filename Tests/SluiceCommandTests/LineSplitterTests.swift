import Testing

@testable import SluiceCommand

/// The splitter is a plain state machine: time is a value the test passes in.
@Suite struct LineSplitterTests {
    struct Line: Equatable, CustomStringConvertible {
        var text: String
        var originalLength: Int
        var isPartial = false

        var description: String { "\(text.debugDescription)/\(originalLength)\(isPartial ? "/partial" : "")" }
    }

    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant {
        start.advanced(by: .milliseconds(milliseconds))
    }

    func collect(_ body: (inout [Line]) -> Void) -> [Line] {
        var lines: [Line] = []
        body(&lines)
        return lines
    }

    func feed(
        _ splitter: inout LineSplitter<ContinuousClock>, _ bytes: [UInt8], at time: Int, into lines: inout [Line]
    ) {
        bytes.withUnsafeBytes { chunk in
            splitter.feed(chunk, now: at(time)) { lines.append(Self.line($0)) }
        }
    }

    func feed(_ splitter: inout LineSplitter<ContinuousClock>, _ text: String, at time: Int, into lines: inout [Line]) {
        feed(&splitter, Array(text.utf8), at: time, into: &lines)
    }

    static func line(_ line: CapturedLine) -> Line {
        Line(
            text: String(decoding: line.bytes, as: UTF8.self), originalLength: line.originalLength,
            isPartial: line.isPartial)
    }

    @Test func splitsOnNewlinesAcrossChunksAndDropsACarriageReturnBeforeThem() {
        var splitter = LineSplitter<ContinuousClock>(maxLineBytes: 100, idle: .milliseconds(100))
        let lines = collect { lines in
            feed(&splitter, "one\ntwo\r\nth", at: 0, into: &lines)
            feed(&splitter, "r", at: 1, into: &lines)
            feed(&splitter, "ee\r", at: 2, into: &lines)
            feed(&splitter, "\n\nlast\r", at: 3, into: &lines)
            splitter.finish { lines.append(Self.line($0)) }
        }
        #expect(
            lines == [
                Line(text: "one", originalLength: 3), Line(text: "two", originalLength: 3),
                Line(text: "three", originalLength: 5), Line(text: "", originalLength: 0),
                Line(text: "last", originalLength: 4),
            ])
        #expect(!splitter.hasPendingLine)
    }

    @Test func aQuietPartialLineIsWrittenAfterTheIdleTimeAndTheRestStartsANewLine() {
        var splitter = LineSplitter<ContinuousClock>(maxLineBytes: 100, idle: .milliseconds(100))
        var lines: [Line] = []
        feed(&splitter, "name? ", at: 0, into: &lines)
        #expect(splitter.idleDeadline == at(100))
        feed(&splitter, "still typing", at: 60, into: &lines)
        #expect(splitter.idleDeadline == at(160), "the idle time runs from the last byte")
        splitter.idleCheck(now: at(159)) { lines.append(Self.line($0)) }
        #expect(lines.isEmpty)
        splitter.idleCheck(now: at(160)) { lines.append(Self.line($0)) }
        #expect(lines == [Line(text: "name? still typing", originalLength: 18, isPartial: true)])
        #expect(splitter.idleDeadline == nil)
        feed(&splitter, " answered\n", at: 500, into: &lines)
        #expect(lines.last == Line(text: " answered", originalLength: 9))
    }

    @Test func aLongLineKeepsItsBeginningAndCountsItsWholeLength() {
        var splitter = LineSplitter<ContinuousClock>(maxLineBytes: 10, idle: .seconds(1))
        var lines: [Line] = []
        feed(&splitter, "0123456789abcdef\nshort\n", at: 0, into: &lines)
        feed(&splitter, "0123456", at: 1, into: &lines)
        feed(&splitter, String(repeating: "z", count: 1000), at: 2, into: &lines)
        feed(&splitter, "tail\nok\n", at: 3, into: &lines)
        #expect(
            lines == [
                Line(text: "0123456789", originalLength: 16), Line(text: "short", originalLength: 5),
                Line(text: "0123456zzz", originalLength: 1011), Line(text: "ok", originalLength: 2),
            ])
    }

    @Test func aCutNeverSplitsAUTF8Character() {
        var splitter = LineSplitter<ContinuousClock>(maxLineBytes: 10, idle: .seconds(1))
        var lines: [Line] = []
        // "aaaaaaaa" then "é" (2 bytes) straddling byte 10, then "€" (3 bytes) straddling it.
        feed(&splitter, "aaaaaaaaaé...\n", at: 0, into: &lines)
        feed(&splitter, "aaaaaaaa€...\n", at: 1, into: &lines)
        feed(&splitter, "aaaaaaa", at: 2, into: &lines)
        feed(&splitter, "😀😀\n", at: 3, into: &lines)
        #expect(lines.map(\.text) == ["aaaaaaaaa", "aaaaaaaa", "aaaaaaa"])
        #expect(lines.map(\.originalLength) == [14, 14, 15])
    }

    @Test func anIdleFlushOfALongLineIsPartialAndTruncated() {
        var splitter = LineSplitter<ContinuousClock>(maxLineBytes: 4, idle: .milliseconds(10))
        var lines: [Line] = []
        feed(&splitter, "abcdefgh", at: 0, into: &lines)
        splitter.idleCheck(now: at(10)) { lines.append(Self.line($0)) }
        #expect(lines == [Line(text: "abcd", originalLength: 8, isPartial: true)])
    }

    @Test func binaryBytesPassThroughUntouched() {
        var splitter = LineSplitter<ContinuousClock>(maxLineBytes: 100, idle: .seconds(1))
        var raw: [[UInt8]] = []
        let junk: [UInt8] = [0xFF, 0x00, 0x1B, 0x0D, 0x41, 0x0A, 0xC3, 0x0A]
        junk.withUnsafeBytes { chunk in
            splitter.feed(chunk, now: at(0)) { raw.append(Array($0.bytes)) }
        }
        #expect(raw == [[0xFF, 0x00, 0x1B, 0x0D, 0x41], [0xC3]])
    }
}
