"""The server processes a load test accounts for, and what they cost, from /proc.

The processes are found from the port(s) that listen: the URL's port, and when that is
HAProxy the ``server`` lines of its config, or ports / PIDs named on the command line.
Their cost is CPU time (utime+stime) and peak RSS (``VmHWM``; reset at start through
``/proc/PID/clear_refs`` where permitted); the rest of the machine's load comes from
``/proc/stat``. Linux only.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def listening_pids(port: int) -> list[int]:
    """PIDs holding a listening TCP socket on ``port`` (from /proc/net/tcp{,6})."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(parts[9])
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    pids.append(int(proc.name))
                    break
        except OSError:
            continue
    return sorted(pids)


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def _haproxy_backend_ports(pid: int) -> list[int]:
    """Ports of the loopback ``server`` lines in the config HAProxy ``pid`` runs."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return []
    argv = [a.decode() for a in argv if a]
    ports = []
    for i, arg in enumerate(argv[:-1]):
        if arg == "-f":
            cfg = Path(cwd, argv[i + 1])
            try:
                text = cfg.read_text()
            except OSError:
                continue
            ports += [int(p) for p in re.findall(
                r"^\s*server\s+\S+\s+(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)", text, re.M)]
    return ports


def cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def _status_mib(pid: int, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def peak_rss_mib(pid: int) -> float:
    """Peak resident memory (VmHWM) in MiB; nan if unknown."""
    return _status_mib(pid, "VmHWM")


def rss_mib(pid: int) -> float:
    """Resident memory now (VmRSS) in MiB; nan if unknown."""
    return _status_mib(pid, "VmRSS")


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages, as "1.2/0.9/0.7" ("n/a" if unknown)."""
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine_busy_seconds() -> float:
    """CPU-seconds all cores spent not idle since boot (from /proc/stat)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def reset_peak_rss(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _parse_ports(specs: list[str]) -> list[int]:
    ports = []
    for spec in specs:
        for part in spec.split(","):
            lo, _, hi = part.partition("-")
            ports += list(range(int(lo), int(hi or lo) + 1))
    return ports


def find_server_pids(url_port: int, ports: list[str], pids: list[int]) -> dict[int, str]:
    """Map pid -> command name of every server process to account for."""
    found = {pid: _comm(pid) for pid in pids}
    if pids and not ports:
        return found
    todo = _parse_ports(ports) if ports else [url_port]
    for port in todo:
        for pid in listening_pids(port):
            found[pid] = _comm(pid)
            if found[pid] == "haproxy" and not ports:
                for backend in _haproxy_backend_ports(pid):
                    for bpid in listening_pids(backend):
                        found[bpid] = _comm(bpid)
    return found

