"""Simulate N concurrent Streamlit sessions without a browser and time their reruns.

Each simulated session does what the browser does, over Streamlit's own protocol:

1. HTTP GET the page (``/multi_head?...``), then ``/_stcore/health`` and
   ``/_stcore/host-config``, keeping cookies. Behind a load balancer the first response
   sets the sticky cookie; ``/_stcore/health`` sets ``_streamlit_xsrf``.
2. Open the websocket ``/_stcore/stream`` with subprotocols ``streamlit, <xsrf token>``
   and the cookies, so HAProxy routes it to the process that served the page.
3. Send ``BackMsg.rerun_script`` (``ClientState``: the URL's query string, the page name
   from the path on the first run and after it the ``page_script_hash`` that the last
   ``navigation`` (or, without ``st.navigation``, ``new_session``) named, the
   widget states, and ``cached_message_hashes``) and read ``ForwardMsg`` frames until
   ``script_finished`` (a ``FINISHED_EARLY_FOR_RERUN`` does not end the wait).
4. Every ``--interval`` seconds (uniformly jittered 0.5x..1.5x; never while its own
   rerun is in flight) change a control and time the rerun until ``script_finished``.

Changing a control. The session learns widgets from the ``new_element`` deltas and
changes the one whose label or query-param key equals ``--control`` (default
``Seed``): a number input or slider gets its next value (step up, wrapping at max),
sent as that widget's state with the value type the server registered
(``double_value`` / ``double_array_value``), together with the states of the other
number inputs, sliders and checkboxes it knows, as the browser sends them. A widget
bound with ``bind="query-params"`` also gets its new value written into the query
string, as the browser rewrites its URL; ``page_info_changed`` from the server
replaces the query string. If no such widget exists the session sets the query
parameter ``--param`` (default ``seed``) to a new value instead and says so.

The forward-message cache is honoured as the frontend's ``ForwardMsgCache`` does:
messages with ``metadata.cacheable`` are stored by hash, their hashes go back with every
``rerun_script``, a ``ref_hash`` message is resolved from the store (a miss is an
error), and after each finished run entries older than ``max_cached_message_age``
(from ``new_session``) are dropped. Images (``/media/...`` URLs of ``st.image``) are
fetched after each run, as the browser would; a failure there is an error (it is how
broken stickiness shows).

Server cost: the CPU time (utime+stime from ``/proc/PID/stat``) of the server
processes over the run, divided by the script runs (first loads plus reruns), and peak
RSS (``VmHWM``; reset at start through ``/proc/PID/clear_refs`` where permitted). The
processes are found from the port(s) that listen: the URL's port, and when that is
HAProxy the ``server`` lines of its config, or ``--server-port`` / ``--server-pid``.

Errors: failed connections, runs past ``--rerun-timeout``, exceptions shown by the
script, ``page_not_found``, compile errors, cache misses, closed sockets, media that
does not load. After an error the session reloads the page (new websocket, same
cookies) up to ``--reloads`` times, as a person would. Only loopback addresses are
accepted; every loop is bounded in count and time.

Usage::

    streamlit run bench/noop_app.py --server.headless true --server.port 8599 &
    python bench/load.py http://127.0.0.1:8599/ --sessions 10 --duration 30
    python bench/load.py "http://127.0.0.1:8501/multi_head?tokens=64&heads=8" -n 1,10,30 -d 60

The last line of each report is a table row; ``-n 1,10,30`` runs the tests one after
another and ends with their table. ``other load`` is what the rest of the machine used
meanwhile (from /proc/stat): on a shared machine, read latencies next to it.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import ipaddress
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
COMPILE_ERROR = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_WITH_COMPILE_ERROR")
NUMERIC_WIDGETS = ("number_input", "slider")
KNOWN_WIDGETS = ("number_input", "slider", "checkbox", "text_input", "text_area")
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Words a simulated student appends to a sentence (so most changes are new sentences).
_WORDS = ("red", "blue", "quickly", "river", "because", "seven", "under", "music", "slowly",
          "garden", "never", "bright", "stone", "window", "dream", "after", "yellow", "paper")


# ---------------------------------------------------------------- server processes


def _listening_pids(port: int) -> list[int]:
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


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def _peak_rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _machine_busy_seconds() -> float:
    """CPU-seconds all cores spent not idle since boot (from /proc/stat)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLK_TCK


def _reset_peak_rss(pid: int) -> bool:
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
        for pid in _listening_pids(port):
            found[pid] = _comm(pid)
            if found[pid] == "haproxy" and not ports:
                for backend in _haproxy_backend_ports(pid):
                    for bpid in _listening_pids(backend):
                        found[bpid] = _comm(bpid)
    return found


# ---------------------------------------------------------------- HTTP and cookies


def _http_get(host: str, port: int, path: str, cookies: dict[str, str],
              timeout: float) -> tuple[int, int]:
    """GET ``path``; store Set-Cookie values into ``cookies``; return (status, bytes)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            cookies[name.strip()] = value.strip()
        return resp.status, len(body)
    finally:
        conn.close()


# ---------------------------------------------------------------- results


@dataclass
class Results:
    loads: list[float] = field(default_factory=list)
    reruns: list[float] = field(default_factory=list)
    media: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    notes: set[str] = field(default_factory=set)
    backends: dict[str, int] = field(default_factory=dict)
    reloads: int = 0

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.samples) < 5:
            self.samples.append(f"{kind}: {detail}"[:300])


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; nan for an empty list."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(-(-q * len(ordered) // 100)) - 1))]


# ---------------------------------------------------------------- one session


class RunError(Exception):
    """A run that ended in an error of a known kind."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail = kind, detail


class Session:
    """One simulated browser tab."""

    def __init__(self, idx: int, opts: argparse.Namespace, results: Results):
        self.idx, self.opts, self.results = idx, opts, results
        parts = urlsplit(opts.url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.path = parts.path or "/"
        self.query = parts.query
        self.page_name = self.path.strip("/")
        self.page_hash = ""
        self.cookies: dict[str, str] = {}
        self.cache: dict[str, list] = {}  # hash -> [raw bytes, run count at last use]
        self.run_count = 0
        self.max_age = 2
        self.widgets: dict[str, tuple[str, object]] = {}  # id -> (type, proto)
        self.values: dict[str, object] = {}  # id -> the value this "browser" holds
        self.media_urls: list[str] = []
        self.config = None  # the last new_session's client config (toolbar mode...)
        self.session_id = ""  # from new_session; backend operations (deferred downloads) name it
        self.downloads: dict[str, str] = {}  # download button label -> deferred file id or URL
        self.buttons: dict[str, str] = {}  # button label -> widget id
        self.triggers: set[str] = set()  # buttons pressed in the next rerun
        self.rng = random.Random(opts.seed * 1000 + idx)
        self.ws = None

    # -- protocol ------------------------------------------------------------------

    async def open(self) -> None:
        t = self.opts.connect_timeout
        page = self.path + (f"?{self.query}" if self.query else "")
        for path in (page, "/_stcore/health", "/_stcore/host-config"):
            status, _ = await asyncio.to_thread(_http_get, self.host, self.port, path,
                                                self.cookies, t)
            if status != 200:
                raise RunError("http", f"GET {path} -> {status}")
        for name, value in self.cookies.items():
            if not name.startswith("_streamlit"):  # a load balancer's sticky cookie
                key = f"{name}={value}"
                self.results.backends[key] = self.results.backends.get(key, 0) + 1
        xsrf = self.cookies.get("_streamlit_xsrf", "PLACEHOLDER_AUTH_TOKEN")
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        self.ws = await connect(
            f"ws://{self.host}:{self.port}/_stcore/stream",
            subprotocols=["streamlit", xsrf], additional_headers=headers,
            origin=f"http://{self.host}:{self.port}", compression=None, proxy=None,
            max_size=None, open_timeout=t, ping_interval=None, close_timeout=2)

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:
                pass

    def _states(self) -> list[WidgetState]:
        states = [WidgetState(id=wid, trigger_value=True) for wid in self.triggers]
        self.triggers = set()
        for wid, value in self.values.items():
            wtype = self.widgets.get(wid, ("", None))[0]
            state = WidgetState(id=wid)
            if wtype == "number_input":
                state.double_value = float(value)
            elif wtype == "slider":
                state.double_array_value.data.extend(float(v) for v in value)
            elif wtype == "checkbox":
                state.bool_value = bool(value)
            elif wtype in ("text_input", "text_area"):
                state.string_value = str(value)
            else:
                continue
            states.append(state)
        return states

    async def run_script(self) -> float:
        """Send rerun_script and wait for its script_finished; return seconds."""
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        if self.page_hash:
            cs.page_script_hash = self.page_hash
        else:
            cs.page_name = self.page_name
        cs.widget_states.widgets.extend(self._states())
        cs.cached_message_hashes.extend(self.cache)
        seen: dict[str, tuple[str, object]] = {}
        self.media_urls, self.downloads, self.buttons = [], {}, {}
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        deadline = t0 + self.opts.rerun_timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise RunError("timeout", f"no script_finished in {self.opts.rerun_timeout}s")
            try:
                data = await asyncio.wait_for(self.ws.recv(), left)
            except asyncio.TimeoutError:
                raise RunError("timeout", f"no script_finished in {self.opts.rerun_timeout}s")
            except ConnectionClosed as exc:
                raise RunError("closed", str(exc))
            fm = ForwardMsg()
            fm.ParseFromString(data)
            kind = fm.WhichOneof("type")
            if kind == "ref_hash":
                entry = self.cache.get(fm.ref_hash)
                if entry is None:
                    raise RunError("cache_miss", fm.ref_hash)
                entry[1] = self.run_count
                fm = ForwardMsg()
                fm.ParseFromString(entry[0])
                kind = fm.WhichOneof("type")
            elif fm.metadata.cacheable and fm.hash:
                if fm.hash in self.cache:
                    self.cache[fm.hash][1] = self.run_count
                else:
                    self.cache[fm.hash] = [data, self.run_count]
            if kind == "new_session":
                self.session_id = fm.new_session.initialize.session_id or self.session_id
                self.config = fm.new_session.config
                self.page_hash = fm.new_session.page_script_hash
                self.max_age = fm.new_session.config.max_cached_message_age or 2
            elif kind == "navigation":  # st.navigation names the page that ran
                self.page_hash = fm.navigation.page_script_hash
            elif kind == "delta":
                self._on_delta(fm, seen)
            elif kind == "page_info_changed":
                self.query = fm.page_info_changed.query_string
            elif kind == "page_not_found":
                raise RunError("page_not_found", fm.page_not_found.page_name)
            elif kind == "script_finished":
                if fm.script_finished == EARLY_FOR_RERUN:
                    continue
                elapsed = time.perf_counter() - t0
                self.run_count += 1
                self.cache = {h: e for h, e in self.cache.items()
                              if self.run_count - e[1] <= self.max_age}
                self.widgets = seen
                self.values = {k: v for k, v in self.values.items() if k in seen}
                if fm.script_finished == COMPILE_ERROR:
                    raise RunError("compile_error", "script did not compile")
                return elapsed

    def _on_delta(self, fm: ForwardMsg, seen: dict) -> None:
        if fm.delta.WhichOneof("type") != "new_element":
            return
        el = fm.delta.new_element
        etype = el.WhichOneof("type")
        if etype == "exception":
            self.results.error("exception", f"{el.exception.type}: {el.exception.message}")
        elif etype == "download_button":
            b = el.download_button
            self.downloads[b.label] = b.deferred_file_id or b.url
        elif etype == "button":
            self.buttons[el.button.label] = el.button.id
        elif etype == "imgs":
            self.media_urls += [img.url for img in el.imgs.imgs if img.url.startswith("/")]
        elif etype in KNOWN_WIDGETS:
            proto = getattr(el, etype)
            seen[proto.id] = (etype, proto)
            if proto.set_value or proto.id not in self.values:
                if etype == "slider":
                    value = list(proto.value if proto.set_value else proto.default)
                elif etype == "number_input":
                    if not (proto.set_value or proto.HasField("default")):
                        return
                    value = proto.value if proto.set_value else proto.default
                else:
                    value = proto.value if proto.set_value else proto.default
                self.values[proto.id] = value

    # -- behaviour -----------------------------------------------------------------

    def change_control(self) -> str:
        """Change the control named --control, or the query param --param; say which."""
        want = self.opts.control.lower()
        for wid, (etype, proto) in self.widgets.items():
            if want not in (proto.label.lower(), getattr(proto, "query_param_key", "").lower()):
                continue
            if etype in ("text_input", "text_area"):  # a new sentence: two words drawn
                words = str(proto.default).split()[:8] + self.rng.sample(_WORDS, 2)
                self.values[wid] = " ".join(words)
                return f"{etype} '{proto.label}'"
            if etype not in NUMERIC_WIDGETS:
                continue
            value = self.values.get(wid)
            current = value[0] if etype == "slider" and value else value
            if current is None:
                current = proto.min
            step = proto.step or 1
            new = current + step
            if proto.max and new > proto.max:
                new = proto.min
            self.values[wid] = [new] if etype == "slider" else new
            if proto.query_param_key:
                text = str(int(new)) if float(new).is_integer() else repr(new)
                params = [(k, v) for k, v in parse_qsl(self.query, keep_blank_values=True)
                          if k != proto.query_param_key]
                self.query = urlencode(params + [(proto.query_param_key, text)])
            return f"{etype} '{proto.label}'"
        params = [(k, v) for k, v in parse_qsl(self.query, keep_blank_values=True)
                  if k != self.opts.param]
        value = self.rng.randrange(1_000_000)
        self.query = urlencode(params + [(self.opts.param, str(value))])
        return f"query param '{self.opts.param}' (no widget '{self.opts.control}' found)"

    async def fetch_media(self) -> None:
        for url in self.media_urls[: self.opts.max_media]:
            t0 = time.perf_counter()
            try:
                status, _ = await asyncio.to_thread(_http_get, self.host, self.port, url,
                                                    self.cookies, self.opts.connect_timeout)
            except OSError as exc:
                self.results.error("media", f"{url}: {exc}")
                continue
            if status != 200:
                self.results.error("media", f"GET {url} -> {status}")
            else:
                self.results.media.append(time.perf_counter() - t0)

    def _reload(self) -> None:
        """Forget the page as a browser reload does; keep the cookies (and stickiness)."""
        self.query = urlsplit(self.opts.url).query
        self.page_hash, self.cache, self.run_count = "", {}, 0
        self.widgets, self.values, self.media_urls = {}, {}, []

    async def _visit(self, stop_at: float, record: bool) -> None:
        """Open, load, then change a control every ~interval until stop_at."""
        res = self.results
        await self.open()
        elapsed = await self.run_script()
        if record:
            res.loads.append(elapsed)
        await self.fetch_media()
        next_at = time.monotonic() + self.opts.interval * self.rng.uniform(0.5, 1.5)
        changes = 0
        while changes < self.opts.max_reruns:
            await asyncio.sleep(max(0.0, min(next_at, stop_at) - time.monotonic()))
            if time.monotonic() >= stop_at:
                break
            started = time.monotonic()
            res.notes.add(f"changed: {self.change_control()}")
            elapsed = await self.run_script()
            changes += 1
            if record:
                res.reruns.append(elapsed)
            await self.fetch_media()
            next_at = started + self.opts.interval * self.rng.uniform(0.5, 1.5)
            if not record:
                break

    async def run(self, start_at: float, stop_at: float, record: bool = True) -> None:
        """Visit the page; after an error reload it (at most --reloads times) until stop_at."""
        res = self.results
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        for attempt in range(self.opts.reloads + 1):
            if attempt:
                await asyncio.sleep(1.0)  # a person notices, then reloads
                if time.monotonic() >= stop_at:
                    break
                self._reload()
                res.reloads += 1
            try:
                await self._visit(stop_at, record)
                return
            except RunError as exc:
                res.error(exc.kind, exc.detail)
            except (OSError, asyncio.TimeoutError, ConnectionClosed) as exc:
                res.error("connect", f"{type(exc).__name__}: {exc}")
            except Exception as exc:  # noqa: BLE001 - counted and shown, never hidden
                res.error("other", f"{type(exc).__name__}: {exc}")
            finally:
                await self.close()
                self.ws = None


# ---------------------------------------------------------------- the run


async def run_load(opts: argparse.Namespace) -> dict:
    parts = urlsplit(opts.url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"refusing to load-test {host!r}: only loopback addresses")

    pids = find_server_pids(parts.port or 80, opts.server_port, opts.server_pid)
    workers = [p for p, c in pids.items() if c != "haproxy"]
    warmup = opts.warmup if opts.warmup >= 0 else max(1, len(workers))
    if warmup:
        scratch = Results()
        now = time.monotonic()
        await asyncio.gather(*(Session(-1 - i, opts, scratch).run(now, now + 60, record=False)
                               for i in range(warmup)))
        if scratch.errors:
            print(f"warm-up errors: {scratch.errors} {scratch.samples}", file=sys.stderr)

    reset = all(_reset_peak_rss(p) for p in pids) if pids else False
    cpu0 = {p: _cpu_seconds(p) for p in pids}
    own0 = sum(os.times()[:2])
    busy0 = _machine_busy_seconds()
    results = Results()
    t0 = time.monotonic()
    stop_at = t0 + opts.duration
    sessions = [Session(i, opts, results) for i in range(opts.sessions)]
    ramp = opts.ramp if opts.ramp is not None else min(opts.interval, opts.duration / 4)
    tasks = [s.run(t0 + ramp * i / max(1, opts.sessions), stop_at) for i, s in enumerate(sessions)]
    hard_limit = opts.duration + opts.rerun_timeout + 4 * opts.connect_timeout + 10
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), hard_limit)
    except asyncio.TimeoutError:
        results.error("hard_limit", f"run exceeded {hard_limit:.0f}s; stopped")
    wall = time.monotonic() - t0
    cpu = {p: _cpu_seconds(p) - cpu0[p] for p in pids}
    own = sum(os.times()[:2]) - own0
    busy = _machine_busy_seconds() - busy0

    runs = len(results.loads) + len(results.reruns)
    server_cpu = sum(v for p, v in cpu.items() if pids[p] != "haproxy")
    proxy_cpu = sum(v for p, v in cpu.items() if pids[p] == "haproxy")
    peak = {p: _peak_rss_mib(p) for p in pids}
    return {
        "url": opts.url, "sessions": opts.sessions, "duration_s": opts.duration,
        "interval_s": opts.interval, "wall_s": round(wall, 2),
        "loads": len(results.loads), "reruns": len(results.reruns),
        "reruns_per_s": round(len(results.reruns) / wall, 2) if wall else None,
        "load_p50_s": percentile(results.loads, 50), "load_max_s": max(results.loads, default=float("nan")),
        "p50_s": percentile(results.reruns, 50), "p95_s": percentile(results.reruns, 95),
        "max_s": max(results.reruns, default=float("nan")),
        "media_fetches": len(results.media), "media_p95_s": percentile(results.media, 95),
        "errors": sum(results.errors.values()), "error_kinds": results.errors,
        "reloads": results.reloads,
        "error_samples": results.samples,
        "server_processes": {str(p): pids[p] for p in pids},
        "server_cpu_s": round(server_cpu, 2), "proxy_cpu_s": round(proxy_cpu, 2),
        "cpu_s_per_run": round(server_cpu / runs, 4) if runs else None,
        "proxy_cpu_s_per_run": round(proxy_cpu / runs, 4) if runs else None,
        "server_cpu_cores": round(server_cpu / wall, 2) if wall else None,
        "peak_rss_mib": {str(p): round(v, 1) for p, v in peak.items()},
        "peak_rss_total_mib": round(sum(v for p, v in peak.items() if pids[p] != "haproxy"), 1),
        "peak_rss_reset": reset, "loadgen_cpu_s": round(own, 2),
        "machine_busy_cores": round(busy / wall, 2) if wall else None,
        "other_busy_cores": round((busy - server_cpu - proxy_cpu - own) / wall, 2) if wall else None,
        "cores": os.cpu_count(),
        "sticky_cookies": results.backends, "notes": sorted(results.notes),
    }


def report(r: dict) -> str:
    ms = lambda s: "-" if s != s else f"{s * 1000:.0f}"  # noqa: E731 - nan -> "-"
    procs = ", ".join(f"{c} {p}" for p, c in r["server_processes"].items()) or "none found"
    lines = [
        f"url                {r['url']}",
        f"server processes   {procs}",
        f"sessions           {r['sessions']} for {r['duration_s']:.0f} s "
        f"(a change every ~{r['interval_s']:g} s each; wall {r['wall_s']:.1f} s)",
        f"first loads        {r['loads']}  p50 {ms(r['load_p50_s'])} ms  max {ms(r['load_max_s'])} ms",
        f"reruns             {r['reruns']}  ({r['reruns_per_s']}/s)",
        f"rerun latency      p50 {ms(r['p50_s'])} ms  p95 {ms(r['p95_s'])} ms  max {ms(r['max_s'])} ms",
        f"errors             {r['errors']}  {r['error_kinds'] or ''}"
        + (f" ({r['reloads']} reloads after errors)" if r["reloads"] else ""),
        f"server CPU         {r['server_cpu_s']} s = {r['cpu_s_per_run']} CPU-s per run "
        f"(loads + reruns), {r['server_cpu_cores']} cores busy",
        f"proxy CPU          {r['proxy_cpu_s']} s ({r['proxy_cpu_s_per_run']} per run)",
        f"peak RSS           {r['peak_rss_total_mib']} MiB total "
        f"{r['peak_rss_mib']} ({'reset at start' if r['peak_rss_reset'] else 'since process start'})",
        f"load generator CPU {r['loadgen_cpu_s']} s (shares this machine)",
        f"machine            {r['machine_busy_cores']} of {r['cores']} cores busy; "
        f"{r['other_busy_cores']} by processes outside this test",
    ]
    if r["media_fetches"]:
        lines.append(f"media              {r['media_fetches']} fetched, p95 {ms(r['media_p95_s'])} ms")
    if r["sticky_cookies"]:
        lines.append(f"sessions by cookie {r['sticky_cookies']}")
    lines += [f"note               {n}" for n in r["notes"]]
    lines += [f"error sample       {s}" for s in r["error_samples"]]
    lines.append("| sessions | reruns | reruns/s | p50 ms | p95 ms | max ms | errors | CPU-s/run "
                 "| peak RSS MiB | other load, cores |")
    lines.append(f"| {r['sessions']} | {r['reruns']} | {r['reruns_per_s']} | {ms(r['p50_s'])} | "
                 f"{ms(r['p95_s'])} | {ms(r['max_s'])} | {r['errors']} | {r['cpu_s_per_run']} | "
                 f"{r['peak_rss_total_mib']} | {r['other_busy_cores']} |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("url", nargs="?", default="http://127.0.0.1:8501/",
                   help="page to open, with its query string (loopback only)")
    p.add_argument("-n", "--sessions", default="10",
                   help="concurrent sessions; a list (1,10,30) runs one test after another")
    p.add_argument("-d", "--duration", type=float, default=60.0, help="seconds of changes")
    p.add_argument("-i", "--interval", type=float, default=3.0,
                   help="mean seconds between a session's changes")
    p.add_argument("--ramp", type=float, default=None,
                   help="seconds over which sessions open (default: min(interval, duration/4))")
    p.add_argument("--control", default="Seed", help="label or query key of the widget to change")
    p.add_argument("--param", default="seed", help="query param to change if no such widget")
    p.add_argument("--warmup", type=int, default=-1,
                   help="throwaway sessions before measuring (default: one per server process)")
    p.add_argument("--server-port", action="append", default=[],
                   help="port(s) of the server processes to account, e.g. 8601-8602")
    p.add_argument("--server-pid", action="append", type=int, default=[])
    p.add_argument("--rerun-timeout", type=float, default=30.0)
    p.add_argument("--connect-timeout", type=float, default=15.0)
    p.add_argument("--max-reruns", type=int, default=10_000, help="per session")
    p.add_argument("--reloads", type=int, default=3,
                   help="times a session reloads the page after an error (0: it gives up)")
    p.add_argument("--max-media", type=int, default=16, help="media files fetched per run")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="also write the results here")
    opts = p.parse_args(argv)
    try:
        opts.session_counts = [int(n) for n in str(opts.sessions).split(",")]
    except ValueError:
        p.error("--sessions takes a number or a comma-separated list of numbers")
    opts.sessions = opts.session_counts[0]
    if min(opts.session_counts) < 1 or opts.duration <= 0 or opts.interval <= 0:
        p.error("sessions, duration and interval must be positive")
    return opts


def main(argv: list[str] | None = None) -> dict | list[dict]:
    """Run one test per session count; print each report, then the table of all."""
    opts = parse_args(argv)
    all_results = []
    for i, n in enumerate(opts.session_counts):
        opts.sessions = n
        if i:
            opts.warmup = 0  # the processes are warm now
            print(flush=True)
        all_results.append(asyncio.run(run_load(opts)))
        print(report(all_results[-1]), flush=True)
    if len(all_results) > 1:
        print("\n" + "\n".join(report(r).splitlines()[-1] if j else "\n".join(report(r).splitlines()[-2:])
                               for j, r in enumerate(all_results)))
    out = all_results[0] if len(all_results) == 1 else all_results
    if opts.json:
        opts.json.write_text(json.dumps(out, indent=2) + "\n")
    return out


if __name__ == "__main__":
    main()
