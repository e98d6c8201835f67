#!/usr/bin/env python3
"""A small HTTP origin for the external-source tests (test/e2e/external_source_test.cc).

Usage: origin.py PORT DIR.  Serves on 127.0.0.1:PORT, HTTP/1.1:
  /files/NAME          the bytes of DIR/NAME (HEAD and GET, Content-Length)
  /status/CODE         answers CODE (3xx with a Location to /files/x)
  /hang                accepts, reads the request, never answers
  /drip/NAME           sends DIR/NAME's headers, then one byte a second
  /nolength/NAME       HEAD without Content-Length; GET until close
  /short/NAME          says the full length, sends half, closes
Every request line is appended to DIR/requests.log, with its Host header
and whether it carried an Authorization or Cookie header.
"""
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."

    def log_message(self, *args):
        pass

    def record(self):
        leaked = "leaked" if (self.headers.get("Authorization") or self.headers.get("Cookie")
                              or self.headers.get("X-Auth-Token")) else "clean"
        with open(os.path.join(self.root, "requests.log"), "a") as log:
            log.write("%s %s host=%s %s\n" % (self.command, self.path, self.headers.get("Host"), leaked))

    def file(self, name):
        path = os.path.join(self.root, os.path.basename(name))
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError:
            return None

    def head(self, code, length=None, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", "text/html")
        self.send_header("Set-Cookie", "origin=secret")
        if length is not None:
            self.send_header("Content-Length", str(length))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()

    def serve(self, body_wanted):
        self.record()
        parts = self.path.split("?")[0].split("/")
        kind = parts[1] if len(parts) > 1 else ""
        arg = parts[2] if len(parts) > 2 else ""
        if kind == "status":
            code = int(arg)
            extra = [("Location", "/files/x")] if 300 <= code < 400 else []
            self.head(code, 0, extra)
            return
        if kind == "hang":
            time.sleep(600)
            return
        data = self.file(arg)
        if data is None:
            self.head(404, 0)
            return
        if kind == "files":
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes=") and body_wanted:
                first, _, last = rng[6:].partition("-")
                first = int(first)
                last = int(last) if last else len(data) - 1
                part = data[first:last + 1]
                self.head(206, len(part), [("Content-Range", "bytes %d-%d/%d" % (first, last, len(data)))])
                self.wfile.write(part)
                return
            self.head(200, len(data))
            if body_wanted:
                self.wfile.write(data)
        elif kind == "drip":
            self.head(200, len(data))
            if body_wanted:
                for i in range(len(data)):
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    time.sleep(1)
        elif kind == "nolength":
            self.close_connection = True
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            if body_wanted:
                self.wfile.write(data)
        elif kind == "short":
            self.close_connection = True
            self.head(200, len(data), [("Connection", "close")])
            if body_wanted:
                self.wfile.write(data[: len(data) // 2])
        else:
            self.head(404, 0)

    def do_HEAD(self):
        self.serve(False)

    def do_GET(self):
        self.serve(True)


def main():
    port, root = int(sys.argv[1]), sys.argv[2]
    Handler.root = root
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    # The test kills this process; a parent that died first must not leave it.
    threading.Thread(target=watch_parent, daemon=True).start()
    server.serve_forever()


def watch_parent():
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


if __name__ == "__main__":
    main()
