#!/usr/bin/env python3
"""Loopback backends for the tests: one HTTP server on each IP:PORT given,
each answering every request with its own address ("127.0.2.3:18080");
"/slow?s=N" answers N seconds late (at most 30); "/cc" answers with a
Cache-Control of its own."""

import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/slow":
            s = urllib.parse.parse_qs(url.query).get("s", ["1"])[0]
            time.sleep(min(float(s), 30))
        body = ("%s:%d\n" % self.server.server_address[:2]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Backend", "%s:%d" % self.server.server_address[:2])
        if url.path == "/cc":
            self.send_header("Cache-Control", "public, max-age=60")
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


def main():
    servers = []
    for arg in sys.argv[1:]:
        host, port = arg.rsplit(":", 1)
        if not host.startswith("127."):
            sys.exit("backends listen on loopback only")
        ThreadingHTTPServer.daemon_threads = True
        servers.append(ThreadingHTTPServer((host, int(port)), Handler))
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("ready", flush=True)
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
