"""The deployment tests' client: open a page and keep what it drew (harness/protocol.py's
Client, which speaks the browser's protocol).
"""

from __future__ import annotations

from harness.protocol import Client, Results, options


class Page(Client):
    """A page on 127.0.0.1:port that keeps every element its runs drew, in order; `ws`
    stays open after open_page (the caller closes it)."""

    def __init__(self, port: int, link: str, timeout: float):
        super().__init__(options(f"http://127.0.0.1:{port}{link}", connect_timeout=30,
                                 rerun_timeout=timeout, max_media=0), Results())
        self.elements: list[tuple[str, object]] = []  # (type, proto)

    def _on_delta(self, fm, seen: dict) -> None:
        super()._on_delta(fm, seen)
        if fm.delta.WhichOneof("type") == "new_element":
            el = fm.delta.new_element
            etype = el.WhichOneof("type")
            self.elements.append((etype, getattr(el, etype)))

    def of_type(self, kind: str) -> list:
        return [p for t, p in self.elements if t == kind]

    def texts(self) -> str:
        return "\n".join(p.body for t, p in self.elements if t in ("markdown", "alert")
                         and hasattr(p, "body"))


async def open_page(port: int, link: str, timeout: float = 240) -> Page:
    """Load `link` ("/pretrained?text=...") and wait for its run to finish."""
    page = Page(port, link, timeout)
    await page.open()
    await page.run_script()
    return page
