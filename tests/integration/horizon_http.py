"""A logged-in HTTP client of a real Horizon server (the ``horizon_server`` fixture): what
a browser sends, without the browser — pages, ajax tab loads and modal forms, table
actions with Django's CSRF token — and the Horizon messages each answer carries.

    web = HorizonHttp(horizon_server.url).login("alice", devcloud.password("alice"))
    page = web.get("/project/desktops/")
    web.messages(page)          # [("error", "Unable to retrieve desktops."), ...]
"""

import html
import json
import re

import requests

TIMEOUT = 120
ALERT = re.compile(r'<div class="alert alert-(danger|warning|info|success)[^"]*"[^>]*>(.*?)</div>',
                   re.S)
TAGS = re.compile(r"<[^>]+>")
# What a page or tab says in its own text (e.g. "the network service did not answer").
NOTE = re.compile(r'<(?:p|div|span) class="[^"]*\btext-(?:warning|danger)\b[^"]*"[^>]*>(.*?)</',
                  re.S)
NOSCRIPT = re.compile(r"<noscript>.*?</noscript>", re.S)


def _text(fragment):
    return " ".join(html.unescape(TAGS.sub(" ", fragment)).split())


class HorizonHttp:
    def __init__(self, base_url):
        self.base = base_url.rstrip("/")
        self.session = requests.Session()

    def csrf(self):
        return self.session.cookies.get("csrftoken", "")

    def login(self, username, password):
        page = self.session.get(self.base + "/auth/login/", timeout=TIMEOUT)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        landed = self.session.post(self.base + "/auth/login/", timeout=TIMEOUT,
                                   headers={"Referer": self.base + "/auth/login/"},
                                   data={"csrfmiddlewaretoken": token, "region": "default",
                                         "domain": "Default", "username": username,
                                         "password": password})
        if landed.status_code != 200 or "/auth/login" in landed.url:
            raise AssertionError(f"login as {username} failed: {landed.status_code} "
                                 f"{landed.url}")
        return self

    def switch(self, project_id):
        """Horizon's project switcher (it may log a user in to another project)."""
        answer = self.get(f"/auth/switch/{project_id}/?next=/project/")
        assert answer.status_code == 200, answer.status_code
        return self

    def get(self, path, ajax=False):
        headers = {"X-Requested-With": "XMLHttpRequest"} if ajax else {}
        return self.session.get(self.base + path, headers=headers, timeout=TIMEOUT)

    def post(self, path, data, ajax=False):
        headers = {"Referer": self.base + path, "X-CSRFToken": self.csrf()}
        if ajax:
            headers["X-Requested-With"] = "XMLHttpRequest"
        return self.session.post(self.base + path, timeout=TIMEOUT, headers=headers,
                                 data={"csrfmiddlewaretoken": self.csrf(), **data})

    def form_data(self, path, form_id):
        """The initial values of a modal form (inputs and selected options), as the
        browser would post them untouched."""
        page = self.get(path, ajax=True)
        body = page.text
        found = re.search(rf'<form[^>]*id="{form_id}".*?</form>', body, re.S)
        if not found:
            return page, None
        form = found.group(0)
        data = {}
        for tag in re.findall(r"<input[^>]*>", form):
            name = re.search(r'name="([^"]+)"', tag)
            kind = re.search(r'type="([^"]+)"', tag)
            if not name or (kind and kind.group(1) in ("checkbox", "submit")):
                continue
            value = re.search(r'value="([^"]*)"', tag)
            data[name.group(1)] = html.unescape(value.group(1)) if value else ""
        for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>',
                                        form, re.S):
            chosen = re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', options) or \
                re.search(r'<option[^>]*value="([^"]*)"', options)
            data[name] = html.unescape(chosen.group(1)) if chosen else ""
        return page, data

    @staticmethod
    def messages(response):
        """Horizon messages of an answer: the page's alerts, or, for ajax answers, the
        ``X-Horizon-Messages`` header; and the warnings a page or tab writes in its own
        text (level "note"). [(level, text), ...]"""
        page = NOSCRIPT.sub("", response.text)
        found = [(level, _text(body)) for level, body in ALERT.findall(page)]
        found += [("note", _text(body)) for body in NOTE.findall(page)]
        header = response.headers.get("X-Horizon-Messages")
        if header:
            found += [(level, _text(text)) for level, text, *_rest in json.loads(header)]
        return found
