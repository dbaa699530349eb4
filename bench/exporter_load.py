"""Load on an exporter for ``make bench``: idle and slow connections, many clients.

    idle_rows(url_for, pid, tls)  300 idle or slow connections are held open while
                                  a legitimate client polls: its p50/p99 latency, side by
                                  side with the same client on a quiet exporter
    under_non_readers(port)       the same while 300 clients ask for a large answer and
                                  never read it
    clients_row(...)              500 concurrent clients: throughput and p99

Clients speak raw HTTP/1.1 over sockets (one request per connection), so the
client's own cost stays small next to the server's. Everything stays on
127.0.0.1, bounded in count and time.
"""

import socket
import ssl
import statistics
import threading
import time

REQUEST = b"GET %s HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


def _context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def one_request(port, tls, context=None, path="/v1/status"):
    """Seconds for one request of ``path`` on a new connection (connect, TLS, answer)."""
    started = time.perf_counter()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        if tls:
            sock = (context or _context()).wrap_socket(sock)
        sock.sendall(REQUEST % path.encode("ascii"))
        while sock.recv(65536):
            pass
    finally:
        sock.close()
    return time.perf_counter() - started


def poll(port, tls, count=200, path="/v1/status"):
    context = _context()
    return [one_request(port, tls, context, path) for _ in range(count)]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def hold_connections(port, count, slow):
    """``count`` connections that send nothing (idle) or drip a request head (slow)."""
    socks = []
    stop = threading.Event()
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        socks.append(sock)

    def drip():
        while not stop.is_set():
            for sock in socks:
                try:
                    sock.send(b"G")
                except OSError:
                    pass
            stop.wait(1.0)
    if slow:
        threading.Thread(target=drip, daemon=True).start()

    def release():
        stop.set()
        for sock in socks:
            sock.close()
    return release


def hold_non_readers(port, count, request=b"GET /v1/status HTTP/1.1\r\nHost: bench\r\n\r\n" * 4):
    """``count`` clients that send requests and never read the answers; one the exporter
    drops (its write timeout) is replaced by a new one, so ``count`` stay connected."""
    import struct
    socks, stop = [], threading.Event()

    def connect():
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        sock.sendall(request)
        return sock

    def established(sock):   # tcp_info's first byte is the state; 1 = ESTABLISHED
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
        return struct.unpack("B", info[:1])[0] == 1

    for _ in range(count):
        socks.append(connect())

    def replace():
        while not stop.wait(0.2):
            for index, sock in enumerate(socks):
                if not stop.is_set() and not established(sock):
                    sock.close()
                    socks[index] = connect()
    threading.Thread(target=replace, daemon=True).start()

    def release():
        stop.set()
        time.sleep(0.3)
        for sock in socks:
            sock.close()
    return release


def under_non_readers(port, count=300, seconds=8):
    """Latencies of a polling client while ``count`` clients never read (for at least
    ``seconds``: longer than the exporter's write timeout, so some are replaced)."""
    release = hold_non_readers(port, count)
    try:
        time.sleep(0.5)
        latencies, end = [], time.monotonic() + seconds
        while time.monotonic() < end or len(latencies) < 200:
            latencies.append(one_request(port, False))
        return latencies
    finally:
        release()


def peak_rss_mb(pid):
    with open("/proc/%d/status" % pid) as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def under_idle(port, tls, slow, count=300, path="/v1/status"):
    """Latencies of a client polling ``path`` while ``count`` connections are held open."""
    release = hold_connections(port, count, slow)
    try:
        time.sleep(0.2)
        return poll(port, tls, path=path)
    finally:
        release()


def concurrent_clients(port, tls, clients=500, each=4, processes=10):
    """(requests per second, p99 seconds, failures) of ``clients`` concurrent clients,
    ``each`` requests each: ``processes`` client processes of threads, so that the
    clients' own interpreter lock does not become what is measured."""
    import json
    import subprocess
    import sys
    command = [sys.executable, __file__, str(port), "1" if tls else "0",
               str(clients // processes), str(each)]
    children = [subprocess.Popen(command, stdout=subprocess.PIPE) for _ in range(processes)]
    latencies, starts, ends = [], [], []
    for child in children:
        out, _ = child.communicate(180)
        report = json.loads(out)
        latencies.extend(report["latencies"])
        starts.append(report["start"])
        ends.append(report["end"])
    elapsed = max(ends) - min(starts)   # the load itself, not the clients' start-up
    failed = sum(1 for value in latencies if value is None)
    done = [value for value in latencies if value is not None] or [float("inf")]
    return len(done) / elapsed, percentile(done, 0.99), failed


def _client_process(port, tls, threads, each):
    """One client process: ``threads`` threads, ``each`` requests each; latencies as JSON."""
    import json
    import sys
    latencies, lock = [], threading.Lock()
    barrier = threading.Barrier(threads)

    def client():
        context = _context()
        barrier.wait()
        mine = []
        for _ in range(each):
            try:
                mine.append(one_request(port, tls, context))
            except OSError:
                mine.append(None)
        with lock:
            latencies.extend(mine)
    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start = time.time()
    for worker in workers:
        worker.join(120)
    sys.stdout.write(json.dumps({"latencies": latencies, "start": start, "end": time.time()}))


def median_ms(values):
    return statistics.median(values) * 1000


if __name__ == "__main__":
    import sys
    _client_process(int(sys.argv[1]), sys.argv[2] == "1", int(sys.argv[3]), int(sys.argv[4]))
