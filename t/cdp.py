#!/usr/bin/python3
"""Drives a page of a headless Chromium over the DevTools protocol, for
the tests: python3 cdp.py PORT URL opens URL in a new tab of the
Chromium listening on 127.0.0.1:PORT (--remote-debugging-port), then
answers one JSON line for each line read on stdin:

  eval EXPR            the value of the JavaScript expression EXPR
  size WIDTH HEIGHT    the viewport set to WIDTH x HEIGHT CSS pixels
  key KEY              a key press (Tab, Enter, ...) sent to the page
  shot FILE            a PNG screenshot of the page written to FILE

Each answer is {"ok": true, "value": ...} or {"ok": false, "error": ...}.
Needs python3-websocket (Debian's package)."""

import base64
import json
import sys
import urllib.parse
import urllib.request

import websocket


class Page:
    def __init__(self, port, url):
        target = json.load(urllib.request.urlopen(urllib.request.Request(
            "http://127.0.0.1:%d/json/new?%s" % (port, urllib.parse.quote(
                url, safe="")), method="PUT"), timeout=10))
        self.ws = websocket.create_connection(
            target["webSocketDebuggerUrl"], timeout=30,
            suppress_origin=True)
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method,
                                 "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(msg["error"].get("message"))
                return msg.get("result", {})


def main():
    page = Page(int(sys.argv[1]), sys.argv[2])
    for line in sys.stdin:
        cmd, _, arg = line.rstrip("\n").partition(" ")
        try:
            if cmd == "eval":
                r = page.call("Runtime.evaluate", expression=arg,
                              returnByValue=True)
                if "exceptionDetails" in r:
                    raise RuntimeError(r["exceptionDetails"].get("text"))
                value = r["result"].get("value")
            elif cmd == "size":
                w, h = (int(x) for x in arg.split())
                page.call("Emulation.setDeviceMetricsOverride", width=w,
                          height=h, deviceScaleFactor=1, mobile=w < 600)
                value = None
            elif cmd == "key":
                for kind in ("keyDown", "keyUp"):
                    page.call("Input.dispatchKeyEvent", type=kind, key=arg,
                              code=arg, windowsVirtualKeyCode=9
                              if arg == "Tab" else 13)
                value = None
            elif cmd == "shot":
                r = page.call("Page.captureScreenshot", format="png",
                              captureBeyondViewport=True)
                with open(arg, "wb") as f:
                    f.write(base64.b64decode(r["data"]))
                value = arg
            else:
                raise RuntimeError("unknown command " + cmd)
            out = {"ok": True, "value": value}
        except Exception as e:  # the test reads what failed
            out = {"ok": False, "error": str(e)}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
