#!/usr/bin/env python3
"""slow_clients_test.py CHARRNN MODEL — slow clients cannot shut `charrnn serve` for others.

300 connections from 127.0.0.1 each send a request head one line every 1.5 s and never finish
it (reconnecting when the server closes them), for 25 s. Meanwhile a client on another loopback
address, 127.0.0.2, asks /health and a 20-symbol completion every second: each must be answered
within 1 s, and the kernel must drop no connection for a full accept queue (a dropped SYN is
retried a second later). After the attack the server's thread count and memory must be back
where they were.
Prints one line per check; exits 1 on a failure.
"""

import json
import os
import select
import socket
import subprocess
import sys
import time

ATTACKERS, ATTACK_S, TRICKLE_S = 300, 25.0, 1.5


def server_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0])  # threads, KiB


def listen_drops():
    """The kernel's count of connections dropped at a full accept queue (this network namespace)."""
    with open("/proc/net/netstat") as f:
        lines = f.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split()[1:], values.split()[1:]))["ListenDrops"])
    return 0


def request(port, method, path, body=None, source="127.0.0.2", timeout=1.0):
    """One HTTP/1.1 request from `source`; returns (status, seconds)."""
    t0 = time.monotonic()
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    data = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    s.sendall(head.encode() + b"\r\n" + data)
    reply = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
    s.close()
    return int(reply.split(b" ", 2)[1]), time.monotonic() - t0


class Trickler:
    """Many connections that send a header line now and then and never end their request."""

    def __init__(self, port, n):
        self.port, self.n, self.socks, self.next_line, self.reconnect = port, n, {}, {}, []
        self.opened = self.closed_by_server = 0
        for _ in range(n):
            self.open()

    def open(self):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", self.port))
        except BlockingIOError:
            pass
        self.socks[s.fileno()] = s
        self.next_line[s.fileno()] = 0
        self.opened += 1

    def step(self):
        now = time.monotonic()
        readable, _, _ = select.select(list(self.socks.values()), [], [], 0.05)
        for s in readable:  # the server answered (429/503) or closed it: reconnect a second later
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                self.drop(s)
                self.reconnect.append(now + 1.0)
        while self.reconnect and self.reconnect[0] <= now and len(self.socks) < self.n:
            self.reconnect.pop(0)
            self.open()
        for fd, s in list(self.socks.items()):
            if now >= self.next_line[fd]:
                try:
                    first = self.next_line[fd] == 0
                    s.send(b"GET /health HTTP/1.1\r\n" if first else b"X-Slow: 1\r\n")
                except OSError:
                    self.drop(s)
                    self.reconnect.append(now + 1.0)
                    continue
                self.next_line[fd] = now + TRICKLE_S

    def drop(self, s):
        fd = s.fileno()
        self.socks.pop(fd, None)
        self.next_line.pop(fd, None)
        s.close()
        self.closed_by_server += 1

    def close(self):
        for s in self.socks.values():
            s.close()
        self.socks.clear()


def main():
    binary, model = sys.argv[1], sys.argv[2]
    server = subprocess.Popen([binary, "serve", "--model", model, "--port", "0", "--slots", "4",
                               "--queue", "8", "--threads", "1"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what, flush=True)
        failures += 0 if ok else 1

    try:
        line = server.stdout.readline()
        port = int(line.rsplit(":", 1)[1].split("/")[0])
        completion = {"prompt": "And God said", "max_tokens": 20, "seed": 1}
        for _ in range(3):  # warm: the first completion builds the networks
            request(port, "POST", "/v1/completions", completion, timeout=10)
        threads0, rss0 = server_status(server.pid)
        drops0 = listen_drops()
        attack = Trickler(port, ATTACKERS)
        worst, answered, asked = 0.0, 0, 0
        end, next_probe = time.monotonic() + ATTACK_S, time.monotonic() + 2
        while time.monotonic() < end:
            attack.step()
            if time.monotonic() >= next_probe:
                next_probe += 1.0
                for method, path, body in (("GET", "/health", None),
                                           ("POST", "/v1/completions", completion)):
                    asked += 1
                    try:
                        status, seconds = request(port, method, path, body)
                        answered += status == 200 and seconds <= 1.0
                        worst = max(worst, seconds)
                        if status != 200 or seconds > 1.0:
                            print(f"     {method} {path}: {status} in {seconds * 1000:.0f} ms")
                    except OSError as e:
                        worst = max(worst, 1.0)
                        print(f"     {method} {path}: {e}")
        held, drops = len(attack.socks), listen_drops() - drops0
        attack.close()
        check(answered == asked, f"127.0.0.2 answered {answered} of {asked} requests within 1 s "
              f"during the attack (slowest {worst * 1000:.0f} ms)")
        check(attack.closed_by_server > 0,
              f"the server refused or cut {attack.closed_by_server} trickling connections "
              f"({attack.opened} opened, {held} open at the end)")
        check(drops == 0, f"the kernel dropped {drops} connections at a full accept queue")
        time.sleep(12)  # past the request deadline: every cut connection is gone
        threads1, rss1 = server_status(server.pid)
        check(threads1 == threads0, f"threads {threads0} before, {threads1} after")
        check(rss1 - rss0 < 32 * 1024, f"resident memory {rss0 // 1024} MiB before, "
              f"{rss1 // 1024} MiB after")
        status, _ = request(port, "GET", "/health")
        check(status == 200, "the server answers after the attack")
    finally:
        server.terminate()
        server.wait(timeout=30)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
