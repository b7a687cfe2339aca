#!/usr/bin/env python3
"""A small HTTP log receiver for Sluice's tests (Python standard library only).

Every POST is recorded in --dir as NNNNNN-STATUS.body (gunzipped when Content-Encoding is gzip)
with its headers and arrival time in NNNNNN-STATUS.json. Behaviour:
  --fail-first K --retry-after S   answer the first K requests 503 with Retry-After: S
  --reject                          answer every request 400
  --stall-first K --stall-seconds S wait S seconds before answering the first K requests
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
args = parser.parse_args()

lock = threading.Lock()
counter = [len([n for n in os.listdir(args.dir) if n.endswith(".json")])]
seen = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
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
