"""In-browser consoles: Horizon's own console resolution (CONSOLE_TYPE), on demand.

The Console tab is rendered lazily and never cached (console URLs carry a token valid
for minutes); nothing here logs a console URL.

Display quality: VNC consoles open in the plugin's own console page (console_client.html
with the vendored noVNC core, static/heps_desktops/vendor/novnc), not nova's noVNC: nova's
(Debian's noVNC 1.3) always sends a JPEG quality level, and any level makes TigerVNC's
Tight encoder lossy. The page connects to nova's websocket proxy with the console token
and chooses the encodings itself: "lossless" sends no JPEG quality level (the canvas is
the framebuffer, bit for bit), "balanced" and "low" send JPEG levels. Everything the page
needs travels in the URL's fragment, which browsers never send to a server, so the token
stays out of access logs. nova's proxy checks the page's Origin: ``[console]
allowed_origins`` must name Horizon's host when it differs from the proxy's (README).
spice-html5 (0.3) reads no quality settings and never asks the server for a preferred
image compression: that stays nova's ``[spice] image_compression``.
"""

import collections
import hashlib
import logging
import re
from urllib import parse

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from openstack_dashboard.dashboards.project.instances import console as horizon_console

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.services import access

LOG = logging.getLogger(__name__)

TAB_PARAM = "desktop_details__console"
PROTOCOL_PARAM = "console"

Quality = collections.namedtuple("Quality", "label cost jpeg compression")

# What the console page asks the VNC server for: a JPEG quality level (noVNC's 0-9; None:
# no JPEG at all) and a zlib compression level (0-9).
QUALITY_LEVELS = collections.OrderedDict([
    ("lossless", Quality(_("Lossless — exact pixels, for image analysis"),
                         _("Every pixel exactly as the desktop has it (no JPEG). Uses the "
                           "most bandwidth while the picture changes."),
                         None, 2)),
    ("balanced", Quality(_("Balanced — JPEG high quality"),
                         _("JPEG at high quality: smooth on ordinary networks; fine detail "
                           "and noise are slightly changed."),
                         8, 2)),
    ("low", Quality(_("Low bandwidth"),
                    _("Strong JPEG and the most compression, for slow links: visible "
                      "blocks and colour shifts; not for image analysis."),
                    2, 9)),
])
DEFAULT_QUALITY = "lossless"

# Protocols a user may switch between when the console type is AUTO.
PROTOCOLS = collections.OrderedDict([
    ("VNC", _("VNC")),
    ("SPICE", _("SPICE")),
])
AUTO = "AUTO"

# The console page's scaling: 1:1 pixels for the lossless level, fit to the frame otherwise.
SCALE = {"lossless": "1:1"}
DEFAULT_SCALE = "fit"


def console_type():
    preferred = conf.get("console_type")
    if preferred and preferred != AUTO:
        return preferred
    return getattr(settings, "CONSOLE_TYPE", AUTO) or AUTO


def default_quality():
    level = conf.get("console_quality")
    return level if level in QUALITY_LEVELS else DEFAULT_QUALITY


def preference_cookie(request):
    """Name of the cookie holding the user's console choice: one per user on a browser
    (a hash of the keystone user id, which may contain characters cookies do not allow)."""
    user_id = str(getattr(request.user, "id", "") or "")
    return "heps_console_" + hashlib.sha256(user_id.encode()).hexdigest()[:16]


def preferences(request):
    """(quality, protocol) chosen by this user, else the deployment's defaults.

    The cookie holds ``<quality>:<protocol>``; anything unexpected is ignored.
    """
    quality, protocol = default_quality(), AUTO
    raw = parse.unquote(request.COOKIES.get(preference_cookie(request), ""))
    parts = raw.split(":")
    if parts and parts[0] in QUALITY_LEVELS:
        quality = parts[0]
    if len(parts) > 1 and parts[1] in PROTOCOLS:
        protocol = parts[1]
    return quality, protocol


def websocket_url(url):
    """nova's websocket proxy for a noVNC console URL (``…/vnc_lite.html?path=%3Ftoken%3DT``
    or ``…?token=T``): ``ws(s)://<proxy>/<folder>/websockify?token=T``; None without a
    token."""
    parts = parse.urlsplit(url)
    query = parse.parse_qs(parts.query)
    token = (query.get("token") or [""])[0]
    if not token and query.get("path"):
        inner = parse.urlsplit(query["path"][0])
        token = (parse.parse_qs(inner.query).get("token") or [""])[0]
    if not token:
        return None
    scheme = "wss" if parts.scheme.lower() == "https" else "ws"
    folder = parts.path.rsplit("/", 1)[0]
    return parse.urlunsplit((scheme, parts.netloc, f"{folder}/websockify",
                             parse.urlencode({"token": token}), ""))


def quality_supported(con_type, url):
    """The plugin's console page (and its quality levels) can show this console."""
    return con_type == "VNC" and websocket_url(url) is not None


def console_url_for(con_type, url, quality, view_only=False):
    """The URL the browser opens: for VNC, the plugin's console page with nova's
    websocket and the level's encodings in the fragment (``view_only``: no keyboard or
    mouse input is sent); any other console is nova's URL as it is."""
    ws = websocket_url(url) if con_type == "VNC" else None
    if not ws:
        return url
    level = QUALITY_LEVELS[quality]
    fragment = parse.urlencode({
        "ws": ws,
        "quality": quality,
        "jpeg": "" if level.jpeg is None else str(level.jpeg),
        "compression": str(level.compression),
        "view_only": "1" if view_only else "0",
        "scale": SCALE.get(quality, DEFAULT_SCALE),
    })
    return f"{reverse('horizon:project:desktops:console_client')}#{fragment}"


def spice_direct_proxy():
    """The configured SPICE proxy for native clients, or None when there is none (or it
    lacks a host, or both port and tls_port)."""
    proxy = conf.get("spice_direct_proxy")
    if not proxy:
        return None
    if not (isinstance(proxy, dict) and proxy.get("host")
            and (proxy.get("port") or proxy.get("tls_port"))):
        LOG.warning("HEPS_DESKTOPS['spice_direct_proxy'] needs a host and a port or "
                    "tls_port; the native SPICE console (.vv) is not offered")
        return None
    return proxy


def spice_direct_available(request):
    """A native-client (.vv) console can be offered: the deployment names a SPICE proxy
    for native clients and nova speaks spice-direct (microversion 2.99)."""
    if not spice_direct_proxy():
        return False
    try:
        return api.nova.supports(api.context.for_request(request), "spice_direct")
    except Exception as exc:  # version discovery failed: just do not offer it
        LOG.warning("Cannot tell whether nova offers spice-direct consoles: %s",
                    type(exc).__name__)
        return False


def _get_console(request, con_type, desktop):
    """(type, URL) of a console, or (None, None). A URL that is not http(s) (a
    misconfigured or hostile console service: ``javascript:``) is never used."""
    try:
        found_type, url = horizon_console.get_console(request, con_type, desktop.server)
    except exceptions.NotAvailable:
        return None, None
    if not url or parse.urlsplit(str(url)).scheme.lower() not in ("http", "https"):
        if url:
            LOG.warning("Console of desktop %s refused: not an http(s) URL", desktop.id)
        return None, None
    return found_type, url


def _base_context(request, desktop, quality, protocol, configured):
    detail_url = reverse("horizon:project:desktops:detail", args=[desktop.id])
    return {
        "desktop": desktop,
        "console_url": None,
        "console_type": None,
        "reason": None,
        "notice": None,
        "mode": None,
        "support_url": None,
        "support_record": None,
        "quality": quality,
        "protocol_choice": protocol if configured == AUTO else AUTO,
        "quality_levels": [(key, level.label) for key, level in QUALITY_LEVELS.items()],
        "quality_cost": QUALITY_LEVELS[quality].cost,
        "quality_supported": False,
        "protocols": [],
        "preference_cookie": preference_cookie(request),
        "reload_url": f"{detail_url}?tab={TAB_PARAM}",
        "vv_url": None,
    }


def _mode(ctx, desktop, context):
    """The console mode of the user on the desktop (services/access.py), or None with
    the reason in ``context`` (a support user without a recent reason gets the link to
    give one)."""
    try:
        mode = access.console_mode(ctx, desktop.server)
    except access.ReasonNeeded:
        context["support_url"] = reverse("horizon:project:desktops:support_console",
                                         args=[desktop.id])
        context["reason"] = _("You hold the support role: give a reason to open this "
                              "desktop's console. Its owner sees who opened it, when "
                              "and why.")
        return None
    except access.AccessDenied as exc:
        context["reason"] = exc.message
        return None
    if mode == access.MODE_SUPPORT:
        context["support_record"] = access.support_session(ctx, desktop.server)
    return mode


def _resolve(request, desktop, configured, protocol, mode, context):
    """(type, URL) of the console to show; a view-only console is noVNC's or none."""
    if mode == access.MODE_VIEW:
        return _get_console(request, "VNC", desktop)
    con_type = url = None
    if configured == AUTO and protocol in PROTOCOLS:
        con_type, url = _get_console(request, protocol, desktop)
        if not url:
            context["notice"] = _("The %(protocol)s console is not available for this "
                                  "desktop; showing the default console instead.") % {
                "protocol": PROTOCOLS[protocol]}
    if not url:
        con_type, url = _get_console(request, configured, desktop)
    return con_type, url


def console_context(request, desktop):
    """Template context of the Console tab. The URL is never logged or cached; the
    console open is an audit event (who, which desktop, control / view / support)."""
    quality, protocol = preferences(request)
    requested = request.GET.get(PROTOCOL_PARAM)
    if requested in PROTOCOLS:
        protocol = requested
    configured = console_type()
    context = _base_context(request, desktop, quality, protocol, configured)
    ctx = api.context.for_request(request)
    mode = context["mode"] = _mode(ctx, desktop, context)
    if mode is None:
        return context
    if desktop.status != "active" or desktop.task_state:
        context["reason"] = _("The desktop is not running: start it to open its console.")
        return context
    con_type, url = _resolve(request, desktop, configured, protocol, mode, context)
    if not url:
        context["notice"] = None
        context["reason"] = (_("A view-only console needs VNC, which is not available for "
                               "this desktop right now.") if mode == access.MODE_VIEW else
                             _("No console is available for this desktop right now; the "
                               "console service may be off. Try again in a minute."))
        return context
    access.console_opened(ctx, desktop.server, mode, con_type)
    context.update({
        "console_type": con_type,
        "console_url": console_url_for(con_type, url, quality,
                                       view_only=mode == access.MODE_VIEW),
        "quality_supported": quality_supported(con_type, url),
    })
    detail_url = reverse("horizon:project:desktops:detail", args=[desktop.id])
    if configured == AUTO and mode != access.MODE_VIEW:
        context["protocols"] = [
            {"key": key, "label": label, "active": key == con_type,
             "url": f"{detail_url}?tab={TAB_PARAM}&{PROTOCOL_PARAM}={key}"}
            for key, label in PROTOCOLS.items()]
    if desktop.allows(access.NATIVE_CONSOLE) and spice_direct_available(request):
        context["vv_url"] = reverse("horizon:project:desktops:console_vv", args=[desktop.id])
    return context


# --- native SPICE clients (virt-viewer .vv files) ----------------------------------

_UNSAFE_LINE = re.compile(r"[\x00-\x1f\x7f]+")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


class NoConsoleToken(Exception):
    """nova's spice-direct URL carries no token."""


def _vv_value(value):
    """One line of an ini value: control characters (newlines) cannot inject keys."""
    return _UNSAFE_LINE.sub(" ", str(value)).strip()


def vv_filename(desktop):
    name = _UNSAFE_FILENAME.sub("-", desktop.name).strip("-.")[:64]
    return f"{name or 'desktop'}.vv"


def virt_viewer_file(desktop, console_url, proxy):
    """A virt-viewer connection file for nova's spice-direct console ``console_url``.

    The client connects to the deployment's SPICE proxy (``proxy``: host, port and/or
    tls_port, optional ca and host_subject) and gives nova's console token as the SPICE
    password; the proxy resolves the token to the hypervisor through nova.
    """
    token = (parse.parse_qs(parse.urlsplit(console_url).query).get("token") or [""])[0]
    if not token:
        raise NoConsoleToken()
    lines = [
        "[virt-viewer]",
        "type=spice",
        f"host={_vv_value(proxy['host'])}",
    ]
    if proxy.get("port"):
        lines.append(f"port={int(proxy['port'])}")
    if proxy.get("tls_port"):
        lines.append(f"tls-port={int(proxy['tls_port'])}")
    lines.append(f"password={_vv_value(token)}")
    if proxy.get("ca"):
        # virt-viewer reads the PEM on one line with escaped newlines.
        ca = str(proxy["ca"]).strip().replace("\r", "").replace("\n", "\\n")
        lines.append(f"ca={ca}")
    if proxy.get("host_subject"):
        lines.append(f"host-subject={_vv_value(proxy['host_subject'])}")
    lines.extend([
        f"title={_vv_value(desktop.name)} - %d",
        "delete-this-file=1",
        "fullscreen=0",
        "toggle-fullscreen=shift+f11",
        "release-cursor=shift+f12",
        "secure-attention=ctrl+alt+end",
        "",
    ])
    return "\n".join(lines)
