#!/usr/bin/env python3
"""Slow-header attack benchmark: N clients each send a request's headers one
byte at a time and never finish, while a normal client keeps asking for a
page. Reports the normal client's latency, and how long the server took to
close each slow connection against its header timeout.

Usage: python3 tests/bench/slowloris.py [CONNECTIONS] [HEADER_TIMEOUT_S]
       (defaults: 1000 connections, 3 s). Needs a release build.
Loopback only; every loop is bounded in count and time.
"""
import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release", "advice-site")
PAGE = "/can-you-sue-the-cms"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def slow_client(port, started, closed_after, drip):
    """Sends header bytes every `drip` seconds until the server hangs up."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        closed_after.append(None)
        return
    opened = time.monotonic()
    started.append(opened)
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000
    try:
        for byte in head:
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                # A read that returns means the server closed (or answered).
                await asyncio.wait_for(reader.read(1024), timeout=drip)
                break
            except asyncio.TimeoutError:
                continue
    except (ConnectionError, OSError):
        pass
    closed_after.append(time.monotonic() - opened)
    writer.close()


NORMAL_CLIENT = r"""
import socket, sys, time
port, seconds, path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
request = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
end = time.monotonic() + seconds
while time.monotonic() < end:
    t = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(request)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        print(time.monotonic() - t if b" 200 " in data[:20] else "inf", flush=True)
    except OSError:
        print("inf", flush=True)
    time.sleep(0.02)
"""


async def attack(port, n, timeout):
    started, closed_after = [], []
    # The normal reader runs in its own process, so its latency is the
    # server's, not this event loop's while it juggles the slow clients.
    normal = subprocess.Popen(
        [sys.executable, "-c", NORMAL_CLIENT, str(port), str(timeout + 1), PAGE],
        stdout=subprocess.PIPE,
        text=True,
    )
    slow = [asyncio.create_task(slow_client(port, started, closed_after, 0.5)) for _ in range(n)]
    # Everything must end by itself: timeout plus generous slack.
    await asyncio.wait_for(asyncio.gather(*slow), timeout=timeout * 3 + 30)
    out, _ = normal.communicate(timeout=60)
    latencies = [float(line) for line in out.split()]
    return closed_after, latencies


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    timeout = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, n * 2 + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # inherited by the server too
    port = free_port()
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as cfg:
        with open(os.path.join(ROOT, "site.toml"), encoding="utf-8") as f:
            text = f.read()
        cfg.write(text.replace("header_read_timeout = 10", f"header_read_timeout = {timeout}"))
    server = subprocess.Popen(
        [BIN, "--config", cfg.name, "serve", "--listen", f"127.0.0.1:{port}", "--no-watch"],
        cwd=ROOT,
        env={**os.environ, "RUST_LOG": "warn"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.02)
        closed_after, latencies = asyncio.run(attack(port, n, timeout))
    finally:
        server.terminate()
        server.wait()
        os.unlink(cfg.name)
    refused = sum(1 for c in closed_after if c is None)
    closed = sorted(c for c in closed_after if c is not None)
    ok = [l for l in latencies if l != float("inf")]
    print(f"{n} slow-header connections, header timeout {timeout} s")
    print(f"  slow connections closed after: min {closed[0]:.2f} s, median {statistics.median(closed):.2f} s, "
          f"max {closed[-1]:.2f} s; refused at connect: {refused}")
    print(f"  normal requests during the attack: {len(latencies)}, failed: {len(latencies) - len(ok)}")
    if ok:
        ok.sort()
        p99 = ok[min(len(ok) - 1, int(len(ok) * 0.99))]
        print(f"  normal latency: p50 {statistics.median(ok) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
              f"max {ok[-1] * 1000:.1f} ms")
    within = closed[-1] <= timeout + 1.0 if closed else False
    fast = bool(ok) and max(ok) < 0.1 and len(ok) == len(latencies)
    print(f"  every slow connection closed within the timeout (+1 s): {'yes' if within else 'NO'}")
    print(f"  every normal request answered in under 100 ms: {'yes' if fast else 'NO'}")
    sys.exit(0 if within and fast else 1)


if __name__ == "__main__":
    main()
