"""A Streamlit client that speaks the browser's own protocol: load tests and server tests
without a browser (bench/load.py, tests/test_hosted_server.py, tests/deploy/).

What it does, as the browser does:

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

It learns widgets from the ``new_element`` deltas and sends back the state of every number
input, slider, checkbox and text field it knows, with the value type the server registered
(``double_value`` / ``double_array_value`` ...), as the browser does; ``page_info_changed``
from the server replaces the query string.

The forward-message cache is honoured as the frontend's ``ForwardMsgCache`` does:
messages with ``metadata.cacheable`` are stored by hash, their hashes go back with every
``rerun_script``, a ``ref_hash`` message is resolved from the store (a miss is an
error), and after each finished run entries older than ``max_cached_message_age``
(from ``new_session``) are dropped. Images (``/media/...`` URLs of ``st.image``) are
fetched after each run, as the browser would; a failure there is an error (it is how
broken stickiness shows).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
COMPILE_ERROR = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_WITH_COMPILE_ERROR")
KNOWN_WIDGETS = ("number_input", "slider", "checkbox", "text_input", "text_area")
CONNECT_TIMEOUT_S = 15.0
RERUN_TIMEOUT_S = 30.0
MAX_MEDIA = 16  # images fetched per run


def options(url: str, *, connect_timeout: float = CONNECT_TIMEOUT_S,
            rerun_timeout: float = RERUN_TIMEOUT_S, max_media: int = MAX_MEDIA) -> argparse.Namespace:
    """What a `Client` reads from its `opts`, for a caller without bench/load.py's flags."""
    return argparse.Namespace(url=url, connect_timeout=connect_timeout,
                              rerun_timeout=rerun_timeout, max_media=max_media)


def http_request(host: str, port: int, path: str, cookies: dict[str, str], timeout: float,
                 method: str = "GET", body=None, headers: dict[str, str] | None = None,
                 chunked: bool = False) -> tuple[int, bytes]:
    """One request with ``cookies``; Set-Cookie values are stored into them; (status, body)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = dict(headers or {})
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        conn.request(method, path, body=body, headers=headers, encode_chunked=chunked)
        resp = conn.getresponse()
        data = resp.read()
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            cookies[name.strip()] = value.strip()
        return resp.status, data
    finally:
        conn.close()


@dataclass
class Results:
    """What the sessions of one test measured and met (times in seconds)."""

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


class RunError(Exception):
    """A run that ended in an error of a known kind."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail = kind, detail


class Client:
    """One browser tab's connection: `opts` gives url, connect_timeout, rerun_timeout and
    max_media (`options(url)`, or bench/load.py's flags); what goes wrong is counted in
    `results`."""

    def __init__(self, opts: argparse.Namespace, results: Results):
        self.opts, self.results = opts, results
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
        self.headers: dict[str, str] = {}  # sent with every request (X-Forwarded-For...)
        self.ws = None

    async def open(self) -> None:
        """Load the page over HTTP (cookies kept) and open the websocket."""
        t = self.opts.connect_timeout
        page = self.path + (f"?{self.query}" if self.query else "")
        for path in (page, "/_stcore/health", "/_stcore/host-config"):
            status, _ = await asyncio.to_thread(http_request, self.host, self.port, path,
                                                self.cookies, t, headers=self.headers)
            if status != 200:
                raise RunError("http", f"GET {path} -> {status}")
        for name, value in self.cookies.items():
            if not name.startswith("_streamlit"):  # a load balancer's sticky cookie
                key = f"{name}={value}"
                self.results.backends[key] = self.results.backends.get(key, 0) + 1
        xsrf = self.cookies.get("_streamlit_xsrf", "PLACEHOLDER_AUTH_TOKEN")
        headers = {**self.headers, "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
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
            except TimeoutError:
                raise RunError("timeout", f"no script_finished in {self.opts.rerun_timeout}s") from None
            except ConnectionClosed as exc:
                raise RunError("closed", str(exc)) from exc
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

    async def fetch_media(self) -> None:
        """GET the run's images (at most `max_media`), as the browser would."""
        for url in self.media_urls[: self.opts.max_media]:
            t0 = time.perf_counter()
            try:
                status, _ = await asyncio.to_thread(http_request, self.host, self.port, url,
                                                    self.cookies, self.opts.connect_timeout)
            except OSError as exc:
                self.results.error("media", f"{url}: {exc}")
                continue
            if status != 200:
                self.results.error("media", f"GET {url} -> {status}")
            else:
                self.results.media.append(time.perf_counter() - t0)

