#!/usr/bin/env python3
"""Generates a large swarm for the Docker API stand-in, from the real
engine answers in t/fixtures: services and tasks shaped exactly like
them (same fields, compact JSON as the engine writes it), with new IDs,
and loopback addresses, for the stand-in's state keys services_raw and
tasks_raw (tasks files are served byte for byte).

    gen-swarm.py DIR PORT [SERVICES REPLICAS HISTORY CHANGED]

writes into DIR:
  services.json       SERVICES services labelled swarm.upstream=big, and
                      one labelled swarm.upstream=small, all on PORT
  tasks.json          REPLICAS running tasks of each big service at
                      127.1.x.y, 3 of the small one at 127.4.0.1-3, and
                      HISTORY shut down tasks (at 127.3.x.y)
                      per slot beside them, as Swarm keeps them
  tasks-changed.json  the same swarm after a rolling update of CHANGED
                      tasks: each replaced by a new task at 127.2.x.y, the
                      old one shut down and kept in the history
  X.running.json      for each tasks file X.json, the tasks of X.json
                      Swarm wants running (the answer to desired-state)

Defaults: 1000 services, 10 replicas, 2 shut down tasks per slot, 100
changed.  The same arguments give the same bytes.
"""

import copy
import json
import os
import random
import sys

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "fixtures", "docker-20.10")
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def main():
    out, port = sys.argv[1], sys.argv[2]
    args = [int(a) for a in sys.argv[3:]] + [1000, 10, 2, 100][len(sys.argv) - 3:]
    nservices, replicas, history, changed = args[:4]
    rnd = random.Random(4)

    def new_id():
        return "".join(rnd.choice(ALPHABET) for _ in range(25))

    with open(os.path.join(FIXTURES, "services-all.json")) as f:
        service_t = [s for s in json.load(f)
                     if s["Spec"]["Name"] == "mystack_app"][0]
    with open(os.path.join(FIXTURES, "tasks-all.json")) as f:
        task_t = [t for t in json.load(f)
                  if t["ServiceID"] == service_t["ID"]][0]

    services = []
    running = []
    old = []

    def task(sid, slot, state, addr):
        t = copy.deepcopy(task_t)
        t["ID"] = new_id()
        t["ServiceID"] = sid
        t["Slot"] = slot
        t["DesiredState"] = state
        t["Status"]["State"] = state
        t["Status"]["ContainerStatus"]["ContainerID"] = new_id() * 2
        t["NetworksAttachments"][0]["Addresses"] = [addr + "/16"]
        return t

    def add_service(name, upstream, n, addr):
        s = copy.deepcopy(service_t)
        s["ID"] = new_id()
        s["Spec"]["Name"] = name
        s["Spec"]["Labels"]["swarm.upstream"] = upstream
        s["Spec"]["Labels"]["swarm.port"] = port
        s["Spec"]["Mode"]["Replicated"]["Replicas"] = n
        services.append(s)
        for slot in range(1, n + 1):
            running.append(task(s["ID"], slot, "running", addr(slot)))
            for h in range(history):
                old.append(task(s["ID"], slot, "shutdown",
                                "127.3.%d.%d" % (len(old) // 250,
                                                len(old) % 250 + 1)))

    for i in range(nservices):
        add_service("big_%04d" % i, "big", replicas,
                    lambda slot, i=i: "127.1.%d.%d"
                    % ((i * replicas + slot - 1) // 250,
                       (i * replicas + slot - 1) % 250 + 1))
    add_service("small", "small", 3, lambda slot: "127.4.0.%d" % slot)

    def write(name, data):
        with open(os.path.join(out, name), "w") as f:
            json.dump(data, f, separators=(",", ":"))
        if name.startswith("tasks"):
            with open(os.path.join(out, name[:-5] + ".running.json"),
                      "w") as f:
                json.dump([t for t in data if t["DesiredState"] == "running"],
                          f, separators=(",", ":"))

    write("services.json", services)
    write("tasks.json", running + old)

    # a rolling update: every len/changed-th task replaced

    after = copy.deepcopy(running)
    stopped = []
    step = max(1, len(after) // max(changed, 1))
    for k, i in enumerate(range(0, len(after), step)[:changed]):
        t = after[i]
        stopped.append(dict(t, DesiredState="shutdown",
                            Status=dict(t["Status"], State="shutdown")))
        after[i] = task(t["ServiceID"], t["Slot"], "running",
                        "127.2.%d.%d" % (k // 250, k % 250 + 1))
    write("tasks-changed.json", after + stopped + old)

    print("%d services, %d running tasks, %d shut down; %d changed"
          % (len(services), len(running), len(old), len(stopped)))


if __name__ == "__main__":
    main()
