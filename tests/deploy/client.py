"""A minimal Streamlit client for the deployment tests: open a page, read what it drew.

Speaks the protocol the browser does (see bench/load.py for the full simulation): GET the
page and /_stcore/health (which sets the _streamlit_xsrf cookie), open /_stcore/stream,
send rerun_script, read ForwardMsgs until the run finishes.
"""

from __future__ import annotations

import asyncio
import http.client
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect

EARLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")


def http_request(port: int, method: str, path: str, cookies: dict[str, str] | None = None,
                 body=None, headers: dict[str, str] | None = None,
                 chunked: bool = False) -> tuple[int, bytes]:
    """One request to 127.0.0.1:port; Set-Cookie values land in `cookies`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        hdrs = dict(headers or {})
        if cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        conn.request(method, path, body=body, headers=hdrs, encode_chunked=chunked)
        resp = conn.getresponse()
        data = resp.read()
        if cookies is not None:
            for header in resp.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                cookies[name.strip()] = value.strip()
        return resp.status, data
    finally:
        conn.close()


@dataclass
class Page:
    session_id: str = ""
    elements: list[tuple[str, object]] = field(default_factory=list)  # (type, proto)
    cookies: dict[str, str] = field(default_factory=dict)
    ws: ClientConnection | None = None

    def of_type(self, kind: str) -> list:
        return [p for t, p in self.elements if t == kind]

    def texts(self) -> str:
        return "\n".join(p.body for t, p in self.elements if t in ("markdown", "alert")
                         and hasattr(p, "body"))


async def open_page(port: int, link: str, timeout: float = 240) -> Page:
    """Load `link` ("/pretrained?text=..."); the websocket stays open (the caller closes)."""
    page = Page()
    parts = urlsplit(link)
    for path in (link, "/_stcore/health"):
        status, _ = await asyncio.to_thread(http_request, port, "GET", path, page.cookies)
        assert status == 200, f"GET {path} -> {status}"
    xsrf = page.cookies["_streamlit_xsrf"]
    page.ws = await connect(
        f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit", xsrf],
        additional_headers={"Cookie": "; ".join(f"{k}={v}" for k, v in page.cookies.items())},
        origin=f"http://127.0.0.1:{port}", max_size=None, proxy=None, open_timeout=30)
    msg = BackMsg()
    msg.rerun_script.query_string = parts.query
    msg.rerun_script.page_name = parts.path.strip("/")
    await page.ws.send(msg.SerializeToString())
    async with asyncio.timeout(timeout):
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await page.ws.recv())
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                page.session_id = fm.new_session.initialize.session_id
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                etype = el.WhichOneof("type")
                page.elements.append((etype, getattr(el, etype)))
            elif kind == "script_finished" and fm.script_finished != EARLY:
                return page
