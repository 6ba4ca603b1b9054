#!/usr/bin/env python3
"""capture_server.py -- a remote-write receiver that keeps what it receives.

Usage: capture_server.py PORT OUTDIR. Every POST body is written verbatim to
OUTDIR/NNNN.snappy and its request line and headers to OUTDIR/NNNN.headers;
the answer is 204, like Prometheus' own receiver. Listens on 127.0.0.1 only.
"""
import http.server
import os
import sys
import threading

lock = threading.Lock()
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        with lock:
            count += 1
            base = os.path.join(sys.argv[2], "%04d" % count)
        with open(base + ".snappy", "wb") as f:
            f.write(body)
        with open(base + ".headers", "w") as f:
            f.write("%s %s %s\n" % (self.command, self.path, self.request_version))
            for k, v in self.headers.items():
                f.write("%s: %s\n" % (k, v))
        self.send_response(204)
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    os.makedirs(sys.argv[2], exist_ok=True)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    srv.serve_forever()
