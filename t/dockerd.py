#!/usr/bin/env python3
"""Docker Engine API stand-in for the tests.

Serves the real engine answers of t/fixtures on a unix socket (or on a
loopback TCP port, with TLS if given a certificate, a key and a CA that
client certificates must be signed by), following a state file that the test rewrites at
will: which fixtures to serve, task overrides, the API versions the
engine accepts, and faults.  Task addresses 10.x.y.z/n are served as
127.x.y.z/n so that loopback backends can answer for them.  Every
request is appended to a log file as "PID METHOD PATH", PID being the
client process on the unix socket (0 over TCP).

State file keys (all optional):
  services, tasks   fixture file name, or a JSON list (default
                    services: services-all.json with services-extra.json)
  override          {"<task id prefix>": {"DesiredState": .., "State": ..}}
  version           highest API version (default "1.41")
  min_version       lowest API version (default "1.12")
  ping_header       false: /_ping answers without Api-Version
  fault             "hang", "500", "garbage", "truncate", "big", "slow";
                    "not_manager" and "no_leader": what a worker node
                    and a manager without a leader answer to the swarm
                    paths (/services, /tasks), 503 and 500, /_ping and
                    /version answering as usual
  fault_paths       paths the fault applies to (default: all)
  services_raw      a file of services for generated swarms (see
                    t/bench/gen-swarm.py), filtered as the engine does
  tasks_raw         a file served byte for byte as the answer, filters
                    ignored, for generated swarms too large to rebuild
                    on every request; tasks asked with desired-state
                    get X.running.json for X.json, tasks asked by ID are
                    looked up in X.json
  events            "refuse": /events answers 403; "drop": streams end
  exec_events       true: every second, the exec_create, exec_start and
                    exec_die events of a health check probe
  unfiltered        true: /events ignores its filters, as a proxy may
  delay             {"pid": PID, "seconds": S, "paths": [..]}: answers
                    to that client (on the unix socket) come S late

/events applies the "type" and "event" filters as the engine does (an
"event" filter naming health_status, exec_create or exec_start matches
actions by prefix).
"""

import json
import os
import re
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "fixtures", "docker-20.10")


def version_tuple(v):
    return tuple(int(x) for x in v.split("."))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Docker/20.10.24+dfsg1"
    sys_version = "(linux)"

    def log_message(self, fmt, *args):
        pass

    def peer_pid(self):
        try:
            cred = self.connection.getsockopt(socket.SOL_SOCKET,
                                              socket.SO_PEERCRED,
                                              struct.calcsize("3i"))
            return struct.unpack("3i", cred)[0]
        except (OSError, AttributeError):
            return 0

    def state(self):
        try:
            with open(self.server.state_file) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def load(self, value):
        if isinstance(value, list):
            return value
        with open(os.path.join(FIXTURES, value)) as f:
            return json.load(f)

    def raw_by_id(self, path, ids):
        """The tasks of a raw file whose ID starts with one of ids, each
        decoded alone where the file names it: the file is too large to
        decode whole for every query."""
        with open(path) as f:
            text = f.read()
        decoder = json.JSONDecoder()
        found = []
        for i in ids:
            at = text.find('{"ID":"' + i)
            while at >= 0:
                found.append(decoder.raw_decode(text, at)[0])
                at = text.find('{"ID":"' + i, at + 1)
        return found

    def service_ids(self, st, wanted):
        """The IDs of the services a filter names (by ID or name), or
        the first name that is no service."""
        known = {}
        if wanted:
            for s in self.load_services(st):
                known[s["ID"]] = s["ID"]
                known.setdefault(s["Spec"]["Name"], s["ID"])
        ids = set()
        for want in wanted:
            if want not in known:
                return want
            ids.add(known[want])
        return ids

    def raw_of_services(self, path, ids):
        """A raw tasks file, whole, or the bytes of the tasks of the
        services ids only, in the file's order (each task as written)."""
        with open(path, "rb") as f:
            data = f.read()
        if ids is None:
            return data
        key = (path, os.path.getmtime(path), len(data))
        cache = self.server.raw_cache
        if cache.get("key") != key:
            text = data.decode()
            decoder = json.JSONDecoder()
            entries = []
            at = text.index("[") + 1
            while True:
                while text[at] in " \t\r\n,":
                    at += 1
                if text[at] == "]":
                    break
                task, end = decoder.raw_decode(text, at)
                entries.append((task.get("ServiceID"), text[at:end]))
                at = end
            # a new dict, not one changed in place: requests are threads
            cache = {"key": key, "entries": entries}
            self.server.raw_cache = cache
        entries = cache["entries"]
        if all(sid in ids for sid, _ in entries):
            return data
        return ("[" + ",".join(t for sid, t in entries if sid in ids)
                + "]").encode()

    def load_services(self, st):
        if "services" in st:
            return self.load(st["services"])
        with open(os.path.join(FIXTURES, "..", "services-extra.json")) as f:
            return self.load("services-all.json") + json.load(f)

    def send(self, code, body, ctype="application/json", version="1.41",
             headers=None):
        if isinstance(body, (list, dict)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Api-Version", version)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fault(self, st, path):
        fault = st.get("fault")
        paths = st.get("fault_paths")
        if not fault or (paths and path not in paths):
            return False
        if fault == "hang":
            time.sleep(3600)
            return True
        if fault == "500":
            self.send(500, {"message": "stand-in: internal error"})
            return True
        if fault == "not_manager" and path in ("/services", "/tasks"):
            self.send(503, {"message": "This node is not a swarm manager. "
                            "Worker nodes can't be used to view or modify "
                            "cluster state. Please run this command on a "
                            "manager node or promote the current node to a "
                            "manager."})
            return True
        if fault == "no_leader" and path in ("/services", "/tasks"):
            self.send(500, {"message": "rpc error: code = Unknown desc = "
                            "The swarm does not have a leader. It's "
                            "possible that too few managers are online. "
                            "Make sure more than half of the managers are "
                            "online."})
            return True
        if fault == "garbage":
            self.send(200, "<html>not json</html>\x00\x01{[")
            return True
        if fault == "truncate":
            body = json.dumps(self.load(st.get("tasks", "tasks-all.json")))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2].encode())
            self.wfile.flush()
            self.close_connection = True
            return True
        if fault == "big":
            size = int(st.get("big_size", 200 * 1024 * 1024))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(size + 2))
            self.end_headers()
            chunk = b" " * 65536
            self.wfile.write(b"[")
            sent = 0
            try:
                while sent < size:
                    n = min(len(chunk), size - sent)
                    self.wfile.write(chunk[:n])
                    sent += n
                self.wfile.write(b"]")
            except OSError:
                pass
            self.close_connection = True
            return True
        if fault == "slow":
            body = json.dumps(self.load(st.get("tasks", "tasks-all.json")))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for ch in body:
                    self.wfile.write(ch.encode())
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
            self.close_connection = True
            return True
        return False

    def do_GET(self):
        # the state the request came in, before it is logged: a change a
        # test makes once it sees the request logged is one to tell
        try:
            self.mtime = os.stat(self.server.state_file).st_mtime_ns
        except OSError:
            self.mtime = 0
        st = self.state()
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        with open(self.server.log_file, "a") as f:
            f.write("%s %s %s\n" % (self.peer_pid(), self.command, self.path))

        maxv = st.get("version", "1.41")
        minv = st.get("min_version", "1.12")
        path = url.path
        m = re.match(r"^/v([0-9]+\.[0-9]+)(/.*)$", path)
        if m:
            v, path = m.group(1), m.group(2)
            if version_tuple(v) > version_tuple(maxv):
                self.send(400, {"message": "client version %s is too new. "
                                "Maximum supported API version is %s"
                                % (v, maxv)}, version=maxv)
                return
            if version_tuple(v) < version_tuple(minv):
                self.send(400, {"message": "client version %s is too old. "
                                "Minimum supported API version is %s, "
                                "please upgrade your client to a newer "
                                "version" % (v, minv)}, version=maxv)
                return

        delay = st.get("delay") or {}
        if (delay.get("pid") == self.peer_pid()
                and path in delay.get("paths", [path])):
            time.sleep(float(delay.get("seconds", 1)))

        if self.fault(st, path):
            return

        if path == "/events":
            filters = {}
            if "filters" in query and not st.get("unfiltered"):
                filters = json.loads(query["filters"][0])
            self.events(st, filters)
            return

        if path == "/_ping":
            self.send(200, "OK", "text/plain; charset=utf-8",
                      version=maxv if st.get("ping_header", True) else "")
            return

        if path == "/version":
            doc = self.load("version.json")
            doc["ApiVersion"] = maxv
            doc["MinAPIVersion"] = minv
            self.send(200, doc, version=maxv)
            return

        filters = {}
        if "filters" in query:
            try:
                filters = json.loads(query["filters"][0])
            except ValueError as e:
                self.send(500, {"message": "invalid character: %s" % e})
                return

        raw = st.get(path[1:] + "_raw")
        if st.get("services_raw"):
            # the services a filter matches, as the engine answers
            st["services"] = st["services_raw"]
            if path == "/services":
                raw = None
        if raw and path == "/tasks" and "id" not in filters:
            if "desired-state" in filters and path == "/tasks":
                raw = re.sub(r"\.json$", ".running.json", raw)
            services = None
            if "service" in filters:
                services = self.service_ids(st, filters["service"])
                if isinstance(services, str):
                    self.send(404, {"message": "service %s not found"
                                    % services})
                    return
            self.send(200, self.raw_of_services(raw, services), version=maxv)
            return
        if raw and path == "/tasks":
            st["tasks"] = self.raw_by_id(raw, filters["id"])

        if path == "/services":
            self.send(200, self.services(st, filters), version=maxv)
            return

        if path == "/tasks":
            ids = self.service_ids(st, filters.get("service", []))
            if isinstance(ids, str):
                self.send(404, {"message": "service %s not found" % ids})
                return
            tasks = self.load(st.get("tasks", "tasks-all.json"))
            if not isinstance(tasks, list):
                self.send(200, tasks, version=maxv)
                return
            if "service" in filters:
                tasks = [t for t in tasks if t["ServiceID"] in ids]
            if "id" in filters:
                # Docker matches task IDs by prefix
                tasks = [t for t in tasks
                         if any(t["ID"].startswith(i) for i in filters["id"])]
            tasks = [self.task(st, t) for t in tasks]
            if "desired-state" in filters:
                tasks = [t for t in tasks
                         if t["DesiredState"] in filters["desired-state"]]
            self.send(200, tasks, version=maxv)
            return

        self.send(404, {"message": "page not found"})

    do_HEAD = do_GET

    @staticmethod
    def event_passes(line, filters):
        """Whether the engine sends an event line to a client with these
        filters (daemon/events/filter.go)."""
        ev = json.loads(line)
        types = filters.get("type")
        if types and ev.get("Type") not in types:
            return False
        wanted = filters.get("event")
        if not wanted:
            return True
        action = ev.get("Action", "")
        if set(wanted) & {"health_status", "exec_create", "exec_start"}:
            return any(action.startswith(w) for w in wanted)
        return action in wanted

    def exec_events(self, n):
        """The events of one health check probe of a container."""
        cid = "%064x" % (0xc0ffee + n)
        return [json.dumps({
            "status": a + ": /bin/sh -c 'wget -qO- localhost'", "id": cid,
            "from": "bb:local", "Type": "container",
            "Action": a + ": /bin/sh -c 'wget -qO- localhost'",
            "Actor": {"ID": cid, "Attributes": {"execID": "%x" % n}},
            "scope": "local", "time": int(time.time()),
            "timeNano": time.time_ns()})
            for a in ("exec_create", "exec_start")] + [json.dumps({
                "status": "exec_die", "id": cid, "from": "bb:local",
                "Type": "container", "Action": "exec_die",
                "Actor": {"ID": cid, "Attributes": {"exitCode": "0"}},
                "scope": "local", "time": int(time.time()),
                "timeNano": time.time_ns()})]

    def events(self, st, filters):
        """A stream of engine event lines, one each time the state file
        changes (as Swarm changes make events), for at most an hour, and
        with exec_events, a health check's every second.  State "events":
        "refuse" answers 403 and ends open streams; "drop" ends open
        streams."""
        if st.get("events") == "refuse":
            self.send(403, {"message": "stand-in: events forbidden"})
            return
        with open(os.path.join(FIXTURES, "events-sample.jsonl")) as f:
            samples = [l.strip() for l in f if l.strip()
                       and self.event_passes(l, filters)]
        self.send_response(200)
        self.send_header("Api-Version", st.get("version", "1.41"))
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        mtime = self.mtime
        n = 0
        probes = 0
        next_probe = time.time() + 1
        end = time.time() + 3600
        try:
            while time.time() < end:
                time.sleep(0.02)
                lines = []
                if time.time() >= next_probe:
                    next_probe += 1
                    if self.state().get("exec_events"):
                        probes += 1
                        lines = [l for l in self.exec_events(probes)
                                 if self.event_passes(l, filters)]
                m = os.stat(self.server.state_file).st_mtime_ns
                if m != mtime:
                    mtime = m
                    if self.state().get("events") in ("refuse", "drop"):
                        self.wfile.write(b"0\r\n\r\n")
                        break
                    if samples:
                        lines.append(samples[n % len(samples)])
                        n += 1
                for line in lines:
                    line = (line + "\n").encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
        except OSError:
            pass
        self.close_connection = True

    def services(self, st, filters):
        out = []
        for s in self.load_services(st):
            labels = s["Spec"].get("Labels") or {}
            ok = True
            for want in filters.get("label", []):
                k, _, v = want.partition("=")
                if k not in labels or ("=" in want and labels[k] != v):
                    ok = False
            for want in filters.get("name", []):
                # Docker matches service names by prefix
                if not s["Spec"]["Name"].startswith(want):
                    ok = False
            if ok:
                out.append(s)
        return out

    def task(self, st, t):
        t = json.loads(json.dumps(t))
        for att in t.get("NetworksAttachments", []):
            att["Addresses"] = [re.sub(r"^10\.", "127.", a)
                                for a in att.get("Addresses", [])]
        for prefix, o in (st.get("override") or {}).items():
            if t["ID"].startswith(prefix):
                if "DesiredState" in o:
                    t["DesiredState"] = o["DesiredState"]
                if "State" in o:
                    t["Status"]["State"] = o["State"]
        return t


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("stand-in", 0)


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    listen, state_file, log_file = sys.argv[1:4]
    if listen.startswith("unix:"):
        path = listen[5:]
        if os.path.exists(path):
            os.unlink(path)
        server = UnixServer(path, Handler)
        os.chmod(path, 0o666)
    else:
        host, port = listen.rsplit(":", 1)
        if host not in ("127.0.0.1", "localhost"):
            sys.exit("the stand-in listens on loopback only")
        server = TCPServer((host, int(port)), Handler)
        if len(sys.argv) > 4:
            import ssl
            cert, key, ca = sys.argv[4:7]
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            ctx.load_verify_locations(ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.state_file = state_file
    server.raw_cache = {}
    server.log_file = log_file
    server.serve_forever()


if __name__ == "__main__":
    main()
