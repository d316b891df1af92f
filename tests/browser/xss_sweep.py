"""Browser side of the stored-XSS sweep: traps in every page and frame, a DOM check after
each page, tab and modal, and the escaped-text assertions.

What counts as a finding:
- a trap fired: ``window.__xss`` set (every payload does that), ``alert``/``confirm``/
  ``prompt`` called, a JavaScript dialog opened;
- the DOM carries live payload: an ``on*`` attribute, a ``<script>`` or a
  ``javascript:``/``data:`` URL in ``href``/``src``/``action``/``formaction`` that
  names ``__xss`` — what escaping failed to stop, whether or not it already ran;
- AngularJS evaluated a ``{$ $}`` expression (the text "XSSNGEVAL" appears);
- a script error that a payload would cause (a syntax error, or one naming ``__xss``);
- a response of the plugin's pages with HTTP status 500 or more.
"""

import re
import time

TRAPS = """(() => {
  const report = (what) => {
    try { window.__hepsXssReport(String(what)); } catch (e) { /* frame without binding */ }
  };
  let value;
  try {
    Object.defineProperty(window, '__xss', {
      configurable: false,
      get() { return value; },
      set(v) { value = v; report('window.__xss = ' + v); },
    });
  } catch (e) { report('could not define the __xss trap: ' + e); }
  for (const name of ['alert', 'confirm', 'prompt']) {
    const original = window[name];
    window[name] = function (...args) {
      report(name + '(' + args.join(', ') + ')');
      return name === 'confirm' ? false : (name === 'prompt' ? null : undefined);
    };
    window[name].original = original;
  }
})();"""

SCAN = """() => {
  const bad = [];
  const urlAttrs = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'poster'];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      const value = attr.value || '';
      if (name.startsWith('on') && value.includes('__xss')) {
        bad.push(`<${el.tagName.toLowerCase()} ${name}="${value}">`);
      } else if (urlAttrs.includes(name) && /^\\s*(javascript|data|vbscript):/i.test(value)
                 && value.includes('__xss')) {
        bad.push(`<${el.tagName.toLowerCase()} ${name}="${value}">`);
      } else if (name === 'srcdoc' && value.includes('__xss')) {
        bad.push(`<${el.tagName.toLowerCase()} srcdoc="${value}">`);
      }
    }
    if (el.tagName === 'SCRIPT' && (el.textContent || '').includes('__xss')) {
      bad.push('<script>' + el.textContent.slice(0, 200));
    }
  }
  const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeValue.includes('XSSNGEVAL')) {
      bad.push("AngularJS evaluated {$'XSS'+'NG'+'EVAL'$}: "
               + node.parentNode.outerHTML.slice(0, 300));
    }
  }
  return bad;
}"""

# What escaping failing would look like: markup and an Angular expression put in the page
# as Horizon puts a fragment (innerHTML, then $compile).
PLANT = """() => {
  const box = document.createElement('div');
  box.id = 'heps-xss-planted';
  box.innerHTML = '<img src=x onerror="window.__xss=1">'
    + "<span>{$'XSS'+'NG'+'EVAL'$}</span>";
  document.body.appendChild(box);
  window.angular.element(document.body).injector().invoke(['$compile', '$rootScope',
    function ($compile, $rootScope) { $compile(box)($rootScope); $rootScope.$digest(); }]);
}"""

ANGULAR_READY = """() => !window.angular || !document.body
  || !!window.angular.element(document.body).injector()"""

OPEN_MODAL = """(href) => {
  const link = document.createElement('a');
  link.href = href;
  link.className = 'ajax-modal heps-xss-modal-link';
  document.body.appendChild(link);
  link.click();
  link.remove();
}"""

CLOSE_MODALS = """() => { if (window.jQuery) { window.jQuery('.modal').modal('hide'); } }"""
# Horizon removes a modal once Bootstrap has hidden it (hidden.bs.modal)
MODALS_GONE = """() => !document.querySelector('#modal_wrapper .modal, .modal-backdrop')"""


class Sweep:
    """One logged-in page with the traps installed; collects findings per URL."""

    def __init__(self, page, base_url, who):
        self.page, self.base, self.who = page, base_url, who
        self.fired, self.findings, self.visited, self.timings = [], [], [], []
        page.context.expose_binding(
            "__hepsXssReport", lambda source, what: self.fired.append(
                f"{what} (in {source['frame'].url})"))
        page.context.add_init_script(TRAPS)
        page.set_default_timeout(60_000)   # a loaded CI machine: Horizon pages take seconds
        page.on("dialog", self._dialog)
        page.on("pageerror", self._page_error)
        page.on("response", self._response)

    def _page_error(self, error):
        # a payload that broke out into a script shows as a syntax error or names __xss
        text = str(error)
        if "__xss" in text or "SyntaxError" in text or "Unexpected token" in text:
            self.findings.append((self.page.url, f"script error: {text[:300]}"))

    def _dialog(self, dialog):
        self.fired.append(f"{dialog.type} dialog {dialog.message!r} on {self.page.url}")
        dialog.dismiss()

    def _response(self, response):
        if response.status >= 500 and response.url.startswith(self.base):
            self.findings.append((response.url, f"HTTP {response.status}"))

    def settle(self):
        self.page.wait_for_load_state("load")
        self.page.wait_for_function(ANGULAR_READY, timeout=15_000)

    def scan(self, where=None):
        where = where or self.page.url
        for frame in self.page.frames:
            try:
                found = frame.evaluate(SCAN)
            except Exception as e:  # a frame navigating away (console iframe)
                found = [] if "navigat" in str(e) or "detached" in str(e) else [str(e)]
            for problem in found:
                self.findings.append((f"{where} [{frame.url}]", problem))

    def visit(self, path, expect_status=(200,)):
        started = time.monotonic()
        try:
            return self._visit(path, expect_status)
        finally:
            self.timings.append((path, time.monotonic() - started))

    def _visit(self, path, expect_status):
        url = path if path.startswith("http") else self.base + path
        response = self.page.goto(url)
        self.visited.append(path)
        if response is not None and response.status not in expect_status:
            self.findings.append((url, f"HTTP {response.status}"))
        self.settle()
        self.scan(url)
        return response

    def text(self):
        return self.page.locator("body").inner_text()

    def modal(self, path, wait=30_000):
        """Open ``path`` as Horizon opens a modal link (ajax, then Angular compiles it);
        returns the modal's locator, or None when the view answered with a redirect
        (a refusal message) instead of a form."""
        started = time.monotonic()
        try:
            return self._modal(path, wait)
        finally:
            self.timings.append((f"{path} (modal)", time.monotonic() - started))

    def _modal(self, path, wait):
        self.visited.append(f"{path} (modal)")
        url = self.base + path if path.startswith("/") else path
        with self.page.expect_response(lambda r: r.url == url, timeout=wait) as answer:
            self.page.evaluate(OPEN_MODAL, url)
        status = answer.value.status
        # a refusal: the view redirects with a message (Horizon answers an ajax request
        # with X-Horizon-Location, and its script follows it); see where it lands
        location = answer.value.headers.get("x-horizon-location")
        if status in (301, 302, 303) or location:
            self.page.wait_for_load_state("load")
            self.visit(location if location and location.startswith("/") else url)
            return None
        if status != 200:
            if status >= 500:
                self.findings.append((url, f"HTTP {status}"))
            return None
        modal = self.page.locator("#modal_wrapper .modal:not(.loading)").last
        try:
            modal.wait_for(state="visible", timeout=wait)
        except Exception as e:
            raise AssertionError(f"the modal {path} did not open (HTTP "
                                 f"{answer.value.status}): {e}") from None
        self.page.wait_for_function(
            "() => !Array.from(document.querySelectorAll('.modal.loading'))"
            ".some(m => m.offsetParent !== null)")
        self.page.wait_for_function(ANGULAR_READY)
        self.scan(f"{path} (modal)")
        return modal

    def close_modals(self):
        self.page.evaluate(CLOSE_MODALS)
        self.page.wait_for_function(MODALS_GONE, timeout=15_000)

    def tabs(self, where):
        """Click every tab of the page's tab group; scan after each has loaded."""
        links = self.page.locator(".nav-tabs a[data-toggle='tab']")
        for i in range(links.count()):
            link = links.nth(i)
            target = link.get_attribute("data-target") or ""
            link.click()
            if target:
                self.page.wait_for_function(
                    """(sel) => { const pane = document.querySelector(sel);
                       return pane && !pane.classList.contains('tab-loading')
                         && pane.innerText.trim().length > 0; }""", arg=target)
            self.scan(f"{where} tab {target}")

    def self_check(self):
        """Plant a payload the way a broken escape would let it in: the traps and the
        DOM check must both report it (then the page is reloaded and the reports
        cleared). Returns what was missed."""
        self.page.evaluate(PLANT)
        self.page.wait_for_function("() => window.__xss === 1")
        self.scan("self-check")
        missed = [what for what, seen in (
            ("window.__xss trap", any("window.__xss" in f for f in self.fired)),
            ("on* attribute", any("onerror" in p for _u, p in self.findings)),
            ("Angular expression", any("XSSNGEVAL" in p for _u, p in self.findings)))
            if not seen]
        self.fired.clear()
        self.findings.clear()
        self.page.reload()
        self.settle()
        return missed

    def problems(self):
        return [f"fired: {f}" for f in self.fired] + [
            f"{url}: {problem}" for url, problem in self.findings]


def literal(needle):
    """A payload as the page shows it once escaped: whitespace collapsed, and AngularJS's
    ``{$ $}`` turned into ``{% %}`` by Horizon's escape (horizon/utils/escape.py, patched
    into Django's: user data must never become an Angular expression)."""
    return re.sub(r"\s+", " ", needle).strip().replace("{$", "{%").replace("$}", "%}")


def shown_after_visit(sweep, path, *needles, patience=60):
    """Visit ``path`` (again, while a service the page reads is briefly down, e.g. glance
    stopped by another test: then the page shows ids instead of names) until its text
    shows the needles; returns those it never showed."""
    deadline = time.monotonic() + patience
    while True:
        sweep.visit(path)
        missing = shown(sweep, *needles)
        if not missing or time.monotonic() > deadline:
            return missing
        sweep.page.wait_for_timeout(2000)


def shown(sweep, *needles):
    """The needles the page's text does NOT contain literally."""
    text = re.sub(r"\s+", " ", sweep.text())
    return [n for n in needles if literal(n) not in text]
