"""Where the seconds of one click-to-pixels round go: the moments a round's browser
page reaches each step, from Playwright's request/response/websocket events.

Panel steps: the Launch POST answered, the detail page (Console tab) loaded, the first
status answer that says the console answers, the Console tab loaded again, the plugin's
console page loaded, its websocket opened, first pixels. Bare nova: ACTIVE, console URL,
nova's noVNC page loaded, websocket opened, first pixels (marked by click_to_pixels.py).
Times are seconds from the click (or the POST /servers).
"""

import time

PANEL_STEPS = (
    ("post", "Launch POST answered"),
    ("detail", "detail page loaded"),
    ("console_ready", "status says the console answers"),
    ("tab", "Console tab loaded again"),
    ("client", "console page loaded"),
    ("websocket", "websocket opened"),
    ("pixels", "first pixels"),
)
BARE_STEPS = (
    ("active", "ACTIVE"),
    ("console_url", "console URL"),
    ("client", "noVNC page loaded"),
    ("websocket", "websocket opened"),
    ("pixels", "first pixels"),
)


class Timeline:
    """Marks steps of one round; ``watch(page)`` marks the page's own steps."""

    def __init__(self):
        self.start = time.perf_counter()
        self.marks = {}

    def mark(self, step):
        self.marks.setdefault(step, time.perf_counter() - self.start)

    def watch(self, page):
        page.on("response", self._response)
        page.on("websocket", lambda _ws: self.mark("websocket"))
        return self

    def unwatch(self, page):
        page.remove_listener("response", self._response)

    def _response(self, response):
        request, url = response.request, response.url
        path = url.split("?", 1)[0]
        if request.method == "POST" and path.endswith("/project/desktops/launch/"):
            self.mark("post")
        elif request.method != "GET":
            return
        elif path.endswith("/status/") and "console_ready" not in self.marks:
            if _says_console(response):
                self.mark("console_ready")
        elif "console_ready" in self.marks and "tab=" in url and \
                request.headers.get("x-requested-with"):
            self.mark("tab")
        elif "/console/vnc/" in path or "vnc_lite.html" in path or "vnc_auto.html" in path:
            self.mark("client")

    def seconds(self):
        return {step: round(value, 3) for step, value in self.marks.items()}


def _says_console(response):
    try:
        return bool(response.json().get("console"))
    except Exception:  # not JSON (an error page): not the moment
        return False
