"""Start and stop `wsx serve` for interop tests: loopback, a free port chosen by the kernel
(`-p 0`, read back from the "listening on" log line), bounded waits, and a check that SIGTERM
makes it exit 0."""

import os
import re
import select
import signal
import subprocess
import threading
import time


class WsxServer:
    def __init__(self, wsx, *args, ready_timeout=10.0, log_file=None):
        self.proc = subprocess.Popen(
            [wsx, "serve", "-p", "0", "-H", "127.0.0.1", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.log = []
        self.port = None
        deadline = time.monotonic() + ready_timeout
        buf = b""
        while self.port is None:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                self.proc.kill()
                raise RuntimeError("wsx serve did not start: " + buf.decode(errors="replace"))
            if log_file is not None:  # the server logs to a file (-l), not stderr
                time.sleep(0.02)
                buf = open(log_file, "rb").read() if os.path.exists(log_file) else b""
            else:
                ready, _, _ = select.select([self.proc.stderr], [], [], left)
                if not ready:
                    continue
                buf += os.read(self.proc.stderr.fileno(), 4096)
            m = re.search(rb"listening on 127\.0\.0\.1:(\d+)", buf)
            if m:
                self.port = int(m.group(1))
        self.log.append(buf.decode(errors="replace"))
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line.decode(errors="replace"))

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}"

    def wait_for_log(self, needle, timeout=10.0):
        """True once `needle` is in the server's log, False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in "".join(self.log):
                return True
            time.sleep(0.02)
        return False

    def alive(self):
        return self.proc.poll() is None

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def stop(self, timeout=15.0):
        """SIGTERM, then wait; returns the exit status (kills and returns None on timeout). The
        log is whole on return: the reader has taken every line up to the end of stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            status = None
        self._reader.join(timeout=5)  # a child still holding stderr open: give up after 5 s
        return status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def pid_rss_kib(pid):
    """The resident memory of process `pid` in KiB, -1 if it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def python_host_pids(srv):
    """The Python host processes a server started for pywebsocket handlers (from its log)."""
    return [int(line.rsplit("(pid ", 1)[1].rstrip(")"))
            for line in "".join(srv.log).splitlines() if "python host started (pid " in line]


class Results:
    """Counts checks and prints the closing line CI reads: 'N passed, N failed'."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, label, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {label}")
        else:
            self.failed += 1
            print(f"FAIL {label} {detail}")

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed or not self.passed else 0
