"""Support shared by tests/ and bench/ (both import it; it imports neither).

- `harness.browser`: a Streamlit script on a free loopback port (`Server`, `serve`),
  Debian's headless Chromium (`launch_chromium`, `new_context`), the end of a script run
  read from the server's own messages (`run_mark`, `wait_for_run`), and the charts' drawn
  state (`chart_signatures`, `wait_for_charts_settled`).
- `harness.protocol`: `Client`, a session over Streamlit's websocket protocol without a
  browser (`options`, `Results`, `RunError`, `http_request`).

Scripts put the repository root on sys.path and import `harness.browser` or
`harness.protocol`; nothing here is imported by the app or the library.
"""
