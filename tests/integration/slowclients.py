"""slowclients.py -- a bounded slow-client attack on 127.0.0.x, run as its
own process by test_connections.py (so that its work does not share the
measuring test's interpreter lock).

    python3 slowclients.py PORT SOURCE_ADDRESS COUNT MODE SECONDS

opens COUNT connections to 127.0.0.1:PORT from SOURCE_ADDRESS (another
loopback address, so that the daemon sees another client), prints "ready"
once every connect has completed or failed, then for SECONDS either
trickles one header line a second on each (MODE "trickle": a request that
never ends, slowloris) or sends nothing (MODE "idle"), and exits printing a
JSON line: how many connected, how many the server closed within the first
second, and how many it closed later. Everything stops by itself."""
import errno
import json
import selectors
import socket
import sys
import time


def main():
    port, src, count, mode, seconds = (int(sys.argv[1]), sys.argv[2],
                                       int(sys.argv[3]), sys.argv[4],
                                       float(sys.argv[5]))
    sel = selectors.DefaultSelector()
    pending = {}
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        s.bind((src, 0))
        rc = s.connect_ex(("127.0.0.1", port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            continue
        pending[s.fileno()] = s
        sel.register(s, selectors.EVENT_WRITE)
    opened = {}
    deadline = time.monotonic() + 20
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            sel.unregister(s)
            del pending[s.fileno()]
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                opened[s.fileno()] = s
            else:
                s.close()
    for s in pending.values():
        s.close()
    start = time.monotonic()
    if mode == "trickle":
        for s in opened.values():
            try:
                s.send(b"POST /api/v1/webhook HTTP/1.1\r\nHost: x\r\n")
            except OSError:
                pass
    for s in opened.values():
        sel.register(s, selectors.EVENT_READ)
    print("ready", flush=True)
    closed_early = closed_late = 0
    next_line = time.monotonic() + 1
    n = 0
    while time.monotonic() < start + seconds and sel.get_map():
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                continue        # an answer: a closing follows
            sel.unregister(s)
            s.close()
            if time.monotonic() - start < 1:
                closed_early += 1
            else:
                closed_late += 1
        if mode == "trickle" and time.monotonic() >= next_line:
            n += 1
            for key in list(sel.get_map().values()):
                try:
                    key.fileobj.send(b"X-Slow-%d: 1\r\n" % n)
                except OSError:
                    pass
            next_line += 1
    print(json.dumps({"connected": len(opened),
                      "closed_early": closed_early,
                      "closed_late": closed_late,
                      "open_at_end": len(sel.get_map())}), flush=True)


if __name__ == "__main__":
    main()
