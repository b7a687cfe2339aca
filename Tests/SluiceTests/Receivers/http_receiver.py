#!/usr/bin/env python3
"""A small HTTP log receiver for Sluice's tests (Python standard library only).

Every POST is recorded in --dir as NNNNNN-STATUS.body (gunzipped when Content-Encoding is gzip)
with its headers and arrival time in NNNNNN-STATUS.json. Behaviour:
  --fail-first K --retry-after S   answer the first K requests 503 with Retry-After: S
  --reject                          answer every request 400
  --stall-first K --stall-seconds S wait S seconds before answering the first K requests
  --redirect STATUS                 answer POSTs to any path but /landing with STATUS and
                                    Location: http://127.0.0.1:PORT/landing; /landing answers 200
                                    (a login page) to any method
  --answer-bytes N                  answer 400 with a body of N bytes, in 64 KiB pieces a ms apart;
                                    the bytes the client took before it hung up go in the .json
  --error-body TEXT                 answer 400 with TEXT (escapes such as \x1b decoded) as the body
The port (ephemeral unless --port is given) is written to --port-file once the server listens.
"""
import argparse, gzip, http.server, json, os, threading, time

parser = argparse.ArgumentParser()
parser.add_argument("--dir", required=True)
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--port-file", required=True)
parser.add_argument("--fail-first", type=int, default=0)
parser.add_argument("--retry-after", default="1")
parser.add_argument("--reject", action="store_true")
parser.add_argument("--stall-first", type=int, default=0)
parser.add_argument("--stall-seconds", type=float, default=0)
parser.add_argument("--redirect", type=int, default=0)
parser.add_argument("--answer-bytes", type=int, default=0)
parser.add_argument("--error-body", default=None)
args = parser.parse_args()

lock = threading.Lock()
counter = [len([n for n in os.listdir(args.dir) if n.endswith(".json")])]
seen = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def record(self, status, body, extra_meta=None):
        with lock:
            counter[0] += 1
            index = counter[0]
        name = os.path.join(args.dir, "%06d-%d" % (index, status))
        with open(name + ".body", "wb") as f:
            f.write(body)
        meta = {"time": time.time(), "path": self.path, "method": self.command, "headers": dict(self.headers.items())}
        meta.update(extra_meta or {})
        # Renamed into place, so a reader never sees half a file.
        with open(name + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(name + ".json.tmp", name + ".json")

    def do_GET(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self.answer_landing(body)

    def answer_landing(self, body):
        page = b"<html>please log in</html>"
        self.record(200, body)
        self.send_response(200)
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        if args.redirect:
            if self.path == "/landing":
                self.answer_landing(body)
                return
            self.record(args.redirect, body)
            self.send_response(args.redirect)
            self.send_header("Location", "http://127.0.0.1:%d/landing" % server.server_address[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if args.answer_bytes:
            self.send_response(400)
            self.send_header("Content-Length", str(args.answer_bytes))
            self.end_headers()
            sent = 0
            piece = b"e" * 65536
            try:
                while sent < args.answer_bytes:
                    n = min(len(piece), args.answer_bytes - sent)
                    self.wfile.write(piece[:n])
                    sent += n
                    time.sleep(0.001)  # at most 64 MB/s: a client that hangs up does so long before the end
                self.wfile.flush()
            except OSError:
                pass
            self.record(400, body, {"answered_bytes": sent})
            self.close_connection = True
            return
        if args.error_body is not None:
            answer = args.error_body.encode("utf-8").decode("unicode_escape").encode("utf-8")
            self.record(400, body)
            self.send_response(400)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        with lock:
            seen[0] += 1
            n = seen[0]
            counter[0] += 1
            index = counter[0]
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if n <= args.stall_first:
            time.sleep(args.stall_seconds)
        if args.reject:
            status, extra = 400, {}
        elif n <= args.fail_first:
            status, extra = 503, {"Retry-After": args.retry_after}
        else:
            status, extra = 200, {}
        name = os.path.join(args.dir, "%06d-%d" % (index, status))
        with open(name + ".body", "wb") as f:
            f.write(body)
        with open(name + ".json", "w") as f:
            json.dump({"time": time.time(), "path": self.path, "headers": dict(self.headers.items())}, f)
        answer = b'{"error":"rejected by the test receiver"}' if status == 400 else b""
        self.send_response(status)
        for key, value in extra.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_):
        pass


class Server(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


server = Server(("127.0.0.1", args.port), Handler)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
