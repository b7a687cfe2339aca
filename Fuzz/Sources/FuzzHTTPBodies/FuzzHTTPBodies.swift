// Fuzz target: the HTTP bodies (NDJSON, OTLP/HTTP JSON, Elasticsearch _bulk) through their public
// API, and Retry-After and URL redaction through `@_spi(Fuzzing)`.
//
// Invariants: NDJSON is one JSON object per record; OTLP is one JSON document holding every record
// once, each with distinct attribute keys; _bulk alternates a create action and a JSON document, per
// record; all bodies are valid UTF-8 without raw control characters outside JSON escapes; a
// Retry-After is never negative; nothing traps.

import Foundation
import FuzzSupport
import Sluice
@_spi(Fuzzing) import SluiceHTTP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPBodies(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    let includeSource = input.bool()
    let includeSequence = input.bool()
    let maxMessageBytes = [64 * 1024, 16, 0][input.below(3)]
    let serviceName = input.string()
    let resource = input.metadata()
    let records = (0...input.below(4)).map { _ in input.record() }

    var output = LogOutput(capacity: 256)
    NDJSONEncoding().encode(records[...], into: &output)
    for line in requireLines(output.bytes, count: records.count, "ndjson") {
        require(requireJSON(line, "ndjson") is [String: Any], "ndjson: a line is not an object")
    }

    output.removeAll()
    let otlp = OTLPLogsEncoding(
        serviceName: serviceName, resourceAttributes: resource, includeSource: includeSource,
        includeSequence: includeSequence, maxMessageBytes: maxMessageBytes)
    otlp.encode(records[...], into: &output)
    checkOTLP(output.string, records: records)

    output.removeAll()
    ElasticsearchBulkEncoding(timestampField: input.bool()).encode(records[...], into: &output)
    let lines = requireLines(output.bytes, count: 2 * records.count, "bulk")
    for (index, line) in lines.enumerated() {
        if index % 2 == 0 {
            require(line == "{\"create\":{}}", "bulk: action line \(line.prefix(100))")
        } else {
            require(requireJSON(line, "bulk") is [String: Any], "bulk: a document is not an object")
        }
    }

    let retryText = input.string(maxBytes: 80)
    if let wait = SluiceHTTPFuzzing.retryAfter(retryText, now: Date(timeIntervalSince1970: Double(input.int64() >> 20)))
    {
        require(wait >= .zero, "Retry-After \(retryText.debugDescription) gave \(wait)")
    }
    let url = input.rest()
    let shown = SluiceHTTPFuzzing.redacted(url)
    if let components = URLComponents(string: url), let password = components.password, password.count >= 8,
        !(components.host ?? "").contains(password), !components.path.contains(password)
    {
        require(!shown.contains(password), "the password shows in \(shown)")
    }
    return 0
}

func checkOTLP(_ body: String, records: [LogRecord]) {
    require(body.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "otlp: a raw control character")
    guard let root = requireJSON(body, "otlp") as? [String: Any],
        let resourceLogs = root["resourceLogs"] as? [[String: Any]], resourceLogs.count == 1,
        let scopeLogs = resourceLogs[0]["scopeLogs"] as? [[String: Any]]
    else { preconditionFailure("invariant broken: otlp: unexpected structure: \(body.prefix(300))") }
    var count = 0
    for scope in scopeLogs {
        for record in scope["logRecords"] as? [[String: Any]] ?? [] {
            count += 1
            let keys = (record["attributes"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
            require(Set(keys).count == keys.count, "otlp: two attributes share a key: \(keys)")
        }
    }
    require(count == records.count, "otlp: \(count) log records for \(records.count)")
}
