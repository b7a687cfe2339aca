#!/usr/bin/env python3
"""Runs the GracefulShutdown example as a child process, sends SIGTERM in the middle of a burst and
checks that it exits 0 with every record it logged before stopping in its log file.

    graceful-shutdown-check.py BINARY LOG_FILE [--signals-only]

ServiceGroup mode: the worker prints `logged N` once it has stopped; records seq=1...N must all be in
the file exactly once, followed by the worker's last record, and the group's own (debug) record about
shutting the worker down: the example gives only its file sink a level (debug), and a pipeline without
one takes it, so no LOG_LEVEL is set here.
--signals-only mode: the pipeline drains on the signal while the loop keeps logging; records logged
after intake closed are counted as dropped (shutdown), so the file must hold seq=1...M without a gap
or a duplicate, M equal to the written count the process printed.
"""
import json
import os
import signal
import subprocess
import sys
import time

binary, log_file = sys.argv[1], sys.argv[2]
signals_only = "--signals-only" in sys.argv[3:]
if os.path.exists(log_file):
    os.remove(log_file)

command = [binary, "--log-file", log_file] + (["--signals-only"] if signals_only else [])
environment = {key: value for key, value in os.environ.items() if key != "LOG_LEVEL"}
child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
first = child.stdout.readline().strip()
if first != "running":
    child.kill()
    sys.exit(f"the example did not start: {first!r} {child.stderr.read()}")

# Mid-burst: wait (bounded) until the file holds a few thousand records, then send SIGTERM.
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    if os.path.exists(log_file) and os.path.getsize(log_file) > 400_000:
        break
    time.sleep(0.05)
else:
    child.kill()
    sys.exit("the example wrote too little within 60 s")
child.send_signal(signal.SIGTERM)
try:
    out, err = child.communicate(timeout=60)
except subprocess.TimeoutExpired:
    child.kill()
    sys.exit("the example did not exit within 60 s of SIGTERM")
if child.returncode != 0:
    sys.exit(f"exit status {child.returncode}\nstdout: {out}\nstderr: {err}")

with open(log_file) as f:
    records = [json.loads(line) for line in f]
sequences = [int(r["metadata"]["seq"]) for r in records if r["message"] == "burst record"]
if len(sequences) != len(set(sequences)):
    sys.exit("a record was written twice")

if signals_only:
    line = next((l for l in out.splitlines() if l.startswith("drained after signal")), None)
    if line is None:
        sys.exit(f"no drain report on stdout: {out}")
    written = int(line.split(": ")[1].split()[0])
    highest = max(sequences)
    if sorted(sequences) != list(range(1, highest + 1)):
        sys.exit(f"gaps in seq 1...{highest}: {highest - len(sequences)} missing")
    if written != len(records):
        sys.exit(f"the pipeline wrote {written} records, the file has {len(records)}")
    print(f"--signals-only: SIGTERM drained {written} records, seq 1...{highest} all in the file, exit 0")
else:
    logged = next((int(l.split()[1]) for l in out.splitlines() if l.startswith("logged ")), None)
    if logged is None:
        sys.exit(f"the worker did not report what it logged: {out}")
    if sorted(sequences) != list(range(1, logged + 1)):
        missing = set(range(1, logged + 1)) - set(sequences)
        sys.exit(f"{len(missing)} of {logged} records logged before the shutdown are missing")
    if not any(r["message"] == "worker stopped" for r in records):
        sys.exit("the worker's last record is missing")
    triggered = [r for r in records if r["message"] == "Triggering graceful shutdown for service"]
    if not any(str(r["metadata"].get("sl-service", "")).startswith("BurstWorker") for r in triggered):
        sys.exit("the service group's record about shutting the worker down is missing")
    print(f"ServiceGroup: SIGTERM after {logged} records; all {logged} and the group's shutdown records "
          f"are in the file; exit 0")
