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

# Layered records (FuzzInput+Records.swift). Each helper returns the bytes that make FuzzInput choose
# what its name says; the index lists mirror the Swift ones.
SPECIALS = ["\x7f", "\x85", "\x80", "\x9f", "\u2028", "\u2029", "\u061c", "\u200f", "\u202e", "\u2066",
            "%", "=", "\"", "\\", " ", "\n", "\r", "\t", "\x00", "\x1b", "\xa2", "\u20ac", "\u0627", "\u2030",
            "é", "e\u0301", "\ufeff", "🙂", "\ufffd", "_", "\xa0"]
BOUNDARY_LENGTHS = [0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 63, 64, 65, 127, 128, 254, 255, 256, 257, 1023, 1024, 1025]
SHARED_KEYS = ["k", "request_id", "é", "e\u0301", "Å", "A\u030a", "\u212b", "", "ts", "_ts", "a b", "x=y", "\x00", "\ufffd", "msg", "level",
               "K", "\u212a", ";", "\u037e"]
TIMESTAMPS = 19  # entries in FuzzInput.timestamps

def almost_plain(length_index, special=None, position=0, phase=0, huge=None):
    """position indexes [0, 7, 8, 15, 16, 31, end]."""
    out = bytes([255, huge]) if huge is not None else bytes([length_index])
    out += bytes([phase])
    if special is None:
        return out + bytes([0])
    return out + bytes([1 + 4 * SPECIALS.index(special), position])

def h_raw(text):            # hostileString: raw bytes
    return bytes([0]) + s(text)
def h_plain(*args, **kw):   # hostileString: almost plain
    return bytes([2]) + almost_plain(*args, **kw)
def h_specials(*names):     # hostileString: specials run together
    return bytes([4, len(names)]) + bytes(SPECIALS.index(n) for n in names)

def k_raw(text): return bytes([0]) + s(text)
def k_plain(*args, **kw): return bytes([1]) + almost_plain(*args, **kw)
def k_reserved(name, underscores=0, suffix=None):
    out = bytes([3, underscores])
    out += bytes([1]) if suffix is None else bytes([0, SPECIALS.index(suffix)])
    return out + bytes([["ts", "level", "label", "msg", "source"].index(name)])
def k_long(index, special=None):  # [254, 255, 256, 257, 1023, 1024, 1025]
    return bytes([4, index]) + (bytes([0]) if special is None else bytes([1, SPECIALS.index(special)]))
def k_shared(text): return bytes([5, SHARED_KEYS.index(text)])

def v_int(index): return bytes([0, 1, index])              # [min, min+1, max, 0, -1, 9, 10, -10, 99, 100]
def v_double(index): return bytes([1, 1, index])           # [nan, -nan, snan, nan payload, inf, -inf, -0, 0, ...]
def v_bool(value): return bytes([2, int(value)])
def v_string(hostile): return bytes([3]) + hostile
def v_array(*values): return bytes([8, len(values)]) + b"".join(values)
def v_chain(levels, shape, keys=b""):
    """A leaf wrapped `levels` times; bit i of `shape` set makes level i a dictionary (its key from `keys`)."""
    return bytes([10, 0]) + i64(shape) + bytes([levels]) + keys

def layer(*pairs):           # pairs of (key bytes, value bytes)
    return bytes([1, len(pairs)]) + b"".join(k + v for k, v in pairs)
EMPTY = bytes([0])
def layer_one_byte_keys(count_extra=39, start=0): return bytes([6, count_extra, start])
def layer_many_keys(extra=5): return bytes([8, extra])

def layered(label=b"", message=b"", call=EMPTY, logger=EMPTY, context=EMPTY, ts_index=None, ts=None, level=2,
            sharing=0, shared_values=b"", source=None):
    if ts_index is not None:
        out = bytes([0, ts_index])
    elif ts is not None:
        out = bytes([1]) + i64(ts)
    else:
        out = bytes([2]) + i64(123_456_789)
    out += bytes([level]) + (label or h_raw("api")) + (message or h_raw("request handled"))
    if source is None:
        out += bytes([1, 1, 1, 42])
    else:
        file, function, line = source
        out += bytes([0]) + file + bytes([0]) + function + bytes([0]) + i64(line)
    out += i64(7) + call + logger + context + bytes([sharing]) + shared_values
    return out

def records_header(limit=0, digits=0, source=False, sequence=True, colors=False, inline=True, slack=24, count=1):
    return bytes([limit, digits, 0 if source else 1, int(sequence), 0 if colors else 1, int(inline), slack, count - 1])

record_seeds = []
for n, special in enumerate(SPECIALS):
    for position in range(7):
        length = [9, 16, 17, 32, 33, 256, 1025][position]
        hostile = h_plain(BOUNDARY_LENGTHS.index(length), special, position, phase=n)
        record_seeds.append(layered(
            label=hostile if position % 2 else b"", message=hostile,
            call=layer((k_plain(BOUNDARY_LENGTHS.index(length), special, position), v_string(hostile)),
                       (k_shared("k"), v_bool(n % 2))),
            logger=layer((k_plain(BOUNDARY_LENGTHS.index(16), special, (position + 1) % 7), v_int(n % 10)))))
for index in range(TIMESTAMPS):
    record_seeds.append(layered(ts_index=index, call=layer((k_shared("k"), v_int(index % 10)))))
for levels in [30, 31, 32, 33, 39]:
    record_seeds.append(layered(call=layer((k_shared("k"), v_chain(levels, 0)), (k_shared("ts"), v_chain(levels, -1, k_shared("k") * 40)))))
record_seeds.append(layered(call=layer_one_byte_keys(), logger=layer_one_byte_keys(10, 40)))
record_seeds.append(layered(call=layer_many_keys(), context=layer_many_keys(9)))
record_seeds.append(layered(call=layer(*[(k_reserved(name, u), v_bool(True)) for name in ["ts", "level", "label", "msg", "source"] for u in [0, 1]][:5]),
                            logger=layer(*[(k_reserved(name, 2, "="), v_int(3)) for name in ["ts", "msg", "source"]])))
record_seeds.append(layered(call=layer((k_shared("K"), v_int(1)), (k_shared("\u037e"), v_int(2))),
                            logger=layer((k_shared("\u212a"), v_int(5)), (k_shared(";"), v_int(6)))))
record_seeds.append(layered(call=layer((k_shared("é"), v_int(3)), (k_shared("Å"), v_int(4))),
                            logger=layer((k_shared("e\u0301"), v_int(5)), (k_shared("A\u030a"), v_int(6))),
                            context=layer((k_shared("\u212b"), v_int(7)), (k_shared("é"), v_int(8)))))
record_seeds.append(layered(call=layer(*[(k_long(i), v_double(i)) for i in range(5)]),
                            logger=layer(*[(k_long(i, "%"), v_double(i + 5)) for i in range(5)])))
record_seeds.append(layered(call=layer((k_shared("\x00"), v_string(h_raw("nul\x00"))), (k_shared("\ufffd"), v_double(3)))))
record_seeds.append(layered(label=h_plain(0, huge=4), message=h_plain(0, huge=1)))
record_seeds.append(layered(source=(h_raw("File\n.swift"), h_raw("f\x00()"), -1)))
options = [dict(), dict(limit=1, digits=2), dict(limit=5, source=True), dict(colors=True), dict(limit=2, digits=6, sequence=False),
           dict(limit=6, inline=False), dict(digits=5, slack=255)]
for n, seed in enumerate(record_seeds):
    write("FuzzRecords", f"seed-{n:03d}", records_header(**options[n % len(options)]) + seed)
write("FuzzRecords", "seed-three", records_header(count=3) + record_seeds[0] + record_seeds[-3] + record_seeds[len(SPECIALS) * 7])

# PostgreSQL COPY: limit index, includeSource, partitioned, first tag, batch count - 1, batches (record
# count, records).
def copy_seed(batches, limit=0, source=False, partitioned=True, tag=2**63 - 1):
    out = bytes([limit, int(source), int(partitioned)]) + i64(tag) + bytes([len(batches) - 1])
    for records in batches:
        out += bytes([len(records)]) + b"".join(records)
    return out
copy_seeds = [
    copy_seed([[layered(ts_index=i) for i in range(0, 3)], [layered(ts_index=i) for i in range(3, 6)], [layered(ts_index=i) for i in range(16, 19)]]),
    copy_seed([[layered(label=h_specials("\x00", "é", "\x00"), message=h_plain(BOUNDARY_LENGTHS.index(17), "\x00", 6))]], limit=3),
    copy_seed([[layered(message=h_plain(BOUNDARY_LENGTHS.index(16), "é", 4))], [layered(message=h_plain(BOUNDARY_LENGTHS.index(17), "🙂", 6))]], limit=3),
    copy_seed([[layered(call=layer((k_shared("\x00"), v_int(1)), (k_shared("\ufffd"), v_int(2))))]]),
    copy_seed([[layered(call=layer((k_shared("\x00"), v_int(1))), logger=layer((k_shared("\ufffd"), v_int(2))))]]),
    copy_seed([[layered(call=layer(*[(k_long(i, "\x00"), v_string(h_raw("v\x00"))) for i in range(5)]))]], limit=2),
    copy_seed([[layered(call=layer((k_shared("k"), v_chain(33, 0x5555)), (k_shared("ts"), v_double(0)), (k_shared("msg"), v_double(4))))]], limit=5),
    copy_seed([[layered(source=(h_raw("F\x00.swift"), h_plain(BOUNDARY_LENGTHS.index(1025), "\x00", 6), -1))], [layered(source=(h_raw(""), h_raw(""), 2**31))]], source=True, limit=1),
    copy_seed([[layered(call=layer((k_shared("é"), v_int(3))), logger=layer((k_shared("e\u0301"), v_int(5))), context=layer((k_shared("Å"), v_string(h_raw("\\u0000")))))]]),
    copy_seed([[], [layered()], []], partitioned=False, tag=0),
]
for n, seed in enumerate(copy_seeds):
    write("FuzzPostgresCopy", f"seed-{n:02d}", seed)
print("seeds written")
