#!/usr/bin/env python3
"""A read-only Docker socket proxy for the tests, as a load balancer
should be given instead of the socket itself: it listens on a loopback
TCP port and passes to the unix socket only GET requests for /_ping,
/version, /services, /tasks and /events (with or without a /vX.Y
prefix); anything else is answered 403.  Every request is appended to a
log file as "ALLOW|DENY METHOD PATH".

    sockproxy.py 127.0.0.1:PORT /path/to/docker.sock LOG
"""

import re
import socket
import socketserver
import sys
import threading

ALLOWED = re.compile(r"^(/v[0-9.]+)?/(_ping|version|services|tasks|events)"
                     r"(\?.*)?$")


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            data += chunk
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        method, path = (line.split(" ") + ["", ""])[:2]
        ok = method == "GET" and ALLOWED.match(path)
        with self.server.lock, open(self.server.log, "a") as f:
            f.write("%s %s %s\n" % ("ALLOW" if ok else "DENY", method, path))
        if not ok:
            body = b'{"message":"forbidden by the socket proxy"}'
            self.request.sendall(
                b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json"
                b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                % (len(body), body))
            return
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            up.connect(self.server.target)
        except OSError:
            self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\n"
                                 b"Content-Length: 0\r\n\r\n")
            return
        # one request per connection: the engine's answer, then close
        data = data.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
        up.sendall(data)
        try:
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                self.request.sendall(chunk)
        except OSError:
            pass
        up.close()


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    listen, target, log = sys.argv[1:4]
    host, port = listen.rsplit(":", 1)
    server = Server((host, int(port)), Handler)
    server.target = target
    server.log = log
    server.lock = threading.Lock()
    server.serve_forever()


if __name__ == "__main__":
    main()
