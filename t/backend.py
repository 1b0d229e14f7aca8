#!/usr/bin/env python3
"""Loopback backends for the tests: one HTTP server on each IP:PORT given,
each answering every request with its own address ("127.0.2.3:18080");
"/slow?s=N" answers N seconds late (at most 30); "/cc" answers with a
Cache-Control of its own; a request with "X-Echo: 1" is answered with
the request as it came: its target and its headers, as JSON;
"/status?code=C&n=N" answers status C with "app said C" and N bytes
more; "/big?n=N" answers N bytes of lines (as "type=" says, text/plain
by default; in chunks with "chunked=1"; with the Content-Encoding
"enc=" says); a POST's body is read, and its length answered in
X-Body-Length; "/auth/..." is a forward-auth server as Authelia's: by
"Authorization: Bearer X", 200 with Remote-User (good), 401 (bad),
403 with the request as JSON (echo), 302 to "/login" (rel), else 302
to the login page with the URL asked in "rd".  A
WebSocket (RFC 6455) handshake is taken, and each text message is
answered with the address, ": " and the message."""

import base64
import hashlib
import json
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.websocket()
            return
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/slow":
            s = urllib.parse.parse_qs(url.query).get("s", ["1"])[0]
            time.sleep(min(float(s), 30))
        if url.path.startswith("/auth/"):
            self.auth()
            return
        if url.path == "/status":
            q = urllib.parse.parse_qs(url.query)
            code = int(q.get("code", ["200"])[0])
            n = int(q.get("n", ["0"])[0])
            body = ("app said %d\n" % code).encode() + b"x" * n
            self.send_response(code)
            self.send_header("Content-Type", "text/x-app")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-App", "1")
            self.end_headers()
            self.wfile.write(body)
            return
        if url.path == "/big":
            self.big(urllib.parse.parse_qs(url.query))
            return
        body = ("%s:%d\n" % self.server.server_address[:2]).encode()
        if self.headers.get("X-Echo"):
            body = json.dumps({"path": self.path,
                               "headers": [[k, v] for k, v in
                                           self.headers.items()]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Backend", "%s:%d" % self.server.server_address[:2])
        if self.command == "POST":
            self.send_header("X-Body-Length", str(self.body_length))
        if url.path == "/cc":
            self.send_header("Cache-Control", "public, max-age=60")
        self.end_headers()
        self.wfile.write(body)

    do_DELETE = do_GET

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.body_length = len(self.rfile.read(n)) if n else 0
        self.do_GET()

    def auth(self):
        a = self.headers.get("Authorization", "")
        body = b""
        headers = []
        if a == "Bearer good":
            status = 200
            headers = [("Remote-User", "alice"), ("Remote-Groups", "admins"),
                       ("Remote-Email", "alice@example.test"),
                       ("X-Other", "no")]
        elif a == "Bearer bad":
            status = 401
            headers = [("WWW-Authenticate", 'Bearer realm="test"')]
            body = b"denied\n"
        elif a == "Bearer echo":
            status = 403
            headers = [("Content-Type", "application/json")]
            body = json.dumps({"method": self.command, "path": self.path,
                               "headers": [[k, v] for k, v in
                                           self.headers.items()]}).encode()
        elif a == "Bearer rel":
            status = 302
            headers = [("Location", "/login")]
        else:
            status = 302
            rd = "%s://%s%s" % (self.headers.get("X-Forwarded-Proto", ""),
                                self.headers.get("X-Forwarded-Host", ""),
                                self.headers.get("X-Forwarded-Uri", ""))
            headers = [("Location", "https://login.test/?rd=" +
                        urllib.parse.quote(rd, safe="")),
                       ("Set-Cookie", "auth_session=new; Path=/"),
                       ("Content-Type", "text/html")]
            body = b"<a href=\"https://login.test/\">Found</a>.\n"
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def big(self, q):
        n = min(int(q.get("n", ["1000"])[0]), 1 << 24)
        lines = []
        size = 0
        i = 0
        while size < n:
            line = "%d %s\n" % (i, hashlib.sha1(str(i).encode()).hexdigest())
            lines.append(line)
            size += len(line)
            i += 1
        body = "".join(lines).encode()[:n]
        chunked = q.get("chunked", ["0"])[0] == "1"
        self.send_response(200)
        self.send_header("Content-Type", q.get("type", ["text/plain"])[0])
        if "enc" in q:
            self.send_header("Content-Encoding", q["enc"][0])
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not chunked:
            self.wfile.write(body)
            return
        for k in range(0, len(body), 4096):
            part = body[k:k + 4096]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(
            hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.send_header("X-Backend", "%s:%d" % self.server.server_address[:2])
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        me = "%s:%d" % self.server.server_address[:2]
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            opcode = head[0] & 0x0f
            n = head[1] & 0x7f
            if n == 126:
                n = struct.unpack("!H", self.rfile.read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4]
                         for i, b in enumerate(self.rfile.read(n)))
            if opcode == 8:
                self.ws_send(8, data[:2])
                return
            if opcode == 9:
                self.ws_send(10, data)
            elif opcode == 1:
                self.ws_send(1, (me + ": ").encode() + data)

    def ws_send(self, opcode, data):
        if len(data) < 126:
            head = struct.pack("!BB", 0x80 | opcode, len(data))
        else:
            head = struct.pack("!BBH", 0x80 | opcode, 126, len(data))
        self.wfile.write(head + data)
        self.wfile.flush()


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
