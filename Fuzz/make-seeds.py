#!/usr/bin/env python3
"""Writes the seed corpus in Fuzz/Corpus/<target>: hand-made inputs in the byte layout FuzzInput
reads (see Sources/FuzzSupport/FuzzInput.swift), aimed at what each target checks. Run it again after
changing the layout; the files are committed."""
import os, struct

here = os.path.dirname(os.path.abspath(__file__))

def s(text, raw=None):
    data = raw if raw is not None else text.encode("utf-8")
    if len(data) >= 255:
        return bytes([255]) + struct.pack(">H", len(data)) + data
    return bytes([len(data)]) + data

def i64(value):
    return struct.pack(">q", value)

HOSTILE = [
    "plain message", "line\nbreak\r\nand\ttab", "esc \x1b[31mred\x1b[0m bell\x07", "nul\x00byte",
    "c1 \u0085 \u009b csi", "sep \u2028 \u2029", "bidi \u202e txt.exe \u2066 \u2069 \u200e \u200f \u061c",
    "quote \" backslash \\ equals = percent %", "${jndi:ldap://x}", "é" * 300, "k" * 1100, "",
    "مرحبا arabic", "emoji 🙂 and \ufeff bom",
]

def value(selector, payload):
    return bytes([selector]) + payload

def record(label, message, metadata, level=2, ts=1_795_435_200_000_000_000, seq=7):
    out = i64(ts) + bytes([level]) + s(label) + s(message) + bytes([len(metadata)])
    for key, val in metadata:
        out += s(key) + val
    out += s("File.swift") + s("function()") + bytes([42]) + i64(seq)
    return out

def string_value(text):
    return value(3, s(text))

def write(target, name, data):
    directory = os.path.join(here, "Corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)

# Formats: limit index, fraction digits, includeSource, record count - 1, records..., rest (escaping).
for n, text in enumerate(HOSTILE):
    meta = [(text[:40], string_value(text)), ("a b", value(0, i64(-5))), ("a_b", value(2, b"\x01")),
            ("ts", value(1, i64(0x7FF8000000000000))), ("_ts", value(5, bytes([2]) + value(3, s("x")) + value(0, i64(1))))]
    data = bytes([n % 5, 8, n % 2, 0]) + record(text[:60], text, meta[: 1 + n % 5]) + text.encode()
    write("FuzzFormats", f"seed-{n:02d}", data)
write("FuzzFormats", "seed-extremes", bytes([3, 12, 1, 1]) + record("x", "y", [], ts=-(2**63)) + record("", "", [], ts=2**63 - 1))

# Syslog: rfc3164, framed, sequence, omitHostname, max byte, hostname, app, messageID?, record.
for n, text in enumerate(HOSTILE):
    meta = [("a]b", string_value("v]\"\\")), ("sp ace", string_value(text)), ("", value(0, i64(1))),
            ("k" * 40, value(6, bytes([1]) + s("nested") + string_value(text)))]
    data = bytes([n % 2, (n // 2) % 2, n % 3 == 0, n % 4 == 0, n * 7 % 256]) + s("web 1") + s("shop") + bytes([n % 2]) + (s("msgid") if n % 2 else b"") + record(text[:50], text, meta[: n % 5])
    write("FuzzSyslog", f"seed-{n:02d}", data)

# HTTP bodies: source, sequence, limit index, service, resource metadata, record count - 1, records,
# a Retry-After value, now, and a URL as the rest.
urls = ["http://user:correct-horse@127.0.0.1:4318/v1/logs?api_key=topsecret", "https://h/x#frag", "not a url", "http://[::1]:99999/"]
retries = ["120", "-1", "Fri, 31 Dec 9999 23:59:59 GMT", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999"]
for n, text in enumerate(HOSTILE):
    meta = [("sluice.sequence", value(0, i64(9))), ("code.lineno", string_value(text)), (text[:30], value(2, b"\x00"))]
    data = bytes([n % 2, 1, n % 3]) + s("svc " + text[:20]) + bytes([1]) + s("service.name") + string_value("other") + bytes([1]) + record(text[:40], text, meta[: n % 4]) + record("second", "m", []) + s(retries[n % len(retries)]) + i64(1_700_000_000 << 20) + urls[n % len(urls)].encode()
    write("FuzzHTTPBodies", f"seed-{n:02d}", data)

# Archive names: own name?, [live], count - 1, files (kind, ...), size, then the retention knobs.
names = ["app.2026-11-23T12-00-00.000000Z.log", "app.2026-02-31T12-00-00.000000Z.log", "app.2026-11-23T23-59-60.000000Z.log.gz",
         "app.9999-12-31T23-59-59.999999Z.log", "app.2262-04-11T23-47-16.854775Z.log.gz.tmp", "app.log", "other.log", "app.2026-11-23T12-00-00.000000Z.log.bak"]
data = bytes([1, len(names) - 1])
for name in names:
    data += bytes([0]) + s(name) + i64(1000)
data += bytes([1, 3, 1]) + i64(2000) + bytes([1]) + i64(86_400 * 10**9) + bytes([1]) + i64(1_795_435_200 * 10**9)
write("FuzzArchiveNames", "seed-names", data)
data = bytes([0]) + s("service") + bytes([5])
for n in range(6):
    data += bytes([1 + n % 2]) + i64(1_795_435_200 * 10**9 + n * 10**9) + bytes([n % 3]) + (bytes([5, ord("Z")]) if n % 2 else b"") + i64(10**6)
data += bytes([1, 2, 0, 1]) + i64(10**12) + bytes([1]) + i64(2**62)
write("FuzzArchiveNames", "seed-generated", data)

# LOG_LEVEL: minimum, label count, labels, specification as the rest.
specs = ["debug", "info,api.db=trace", " warning , api = error ,", "api=", "=debug", "verbose", "info,,api.db=TRACE,api=notice", "trace,a=b=c", "\u202edebug"]
for n, spec in enumerate(specs):
    write("FuzzLogLevel", f"seed-{n:02d}", bytes([n % 7, 3]) + s("api.db.pool") + s("api") + s("apix") + spec.encode())

# Label file names: ignoring case, label as the rest.
labels = ["billing", "../etc/passwd", ".hidden", "", "a/b\x00c", "API", "api.2026-11-23T12-00-00.000000Z", "%41", "~tilde", "é" * 150, "x" * 400, ".", ".."]
for n, label in enumerate(labels):
    write("FuzzLabelFileNames", f"seed-{n:02d}", bytes([n % 2]) + label.encode())
print("seeds written")
