"""In-browser consoles: Horizon's own console resolution (CONSOLE_TYPE), on demand.

The Console tab is rendered lazily and never cached (console URLs carry a token valid
for minutes); nothing here logs a console URL.

Display quality: noVNC's full client ``vnc.html`` (Debian's noVNC 1.3; nova's
``vnc_auto.html`` is a link to it there) reads ``quality`` (JPEG 0-9) and
``compression`` (zlib 0-9) from the query string, so the chosen level is added to the
URL nova returns. ``vnc_lite.html`` reads neither (it always uses noVNC's defaults,
quality 6 / compression 2), so a URL on it is moved to ``vnc.html`` next to it (every
noVNC >= 1.0 ships both; same proxy, same token). spice-html5 (0.3) reads no quality
settings and never asks the server for a preferred image compression: that stays
nova's ``[spice] image_compression``.
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

Quality = collections.namedtuple("Quality", "label vnc_params")

# noVNC query parameters of each level (noVNC's own default is quality 6, compression 2).
QUALITY_LEVELS = collections.OrderedDict([
    ("best", Quality(_("Best"), {"quality": "9", "compression": "0"})),
    ("balanced", Quality(_("Balanced"), {"quality": "6", "compression": "2"})),
    ("low", Quality(_("Low bandwidth"), {"quality": "2", "compression": "9"})),
])
DEFAULT_QUALITY = "best"

# Protocols a user may switch between when the console type is AUTO.
PROTOCOLS = collections.OrderedDict([
    ("VNC", _("VNC")),
    ("SPICE", _("SPICE")),
])
AUTO = "AUTO"

# noVNC's full client (vnc.html; Debian's vnc_auto.html links to it) connects only when
# asked and does not scale to the frame by itself.
NOVNC_PARAMS = {"autoconnect": "true", "resize": "scale"}
NOVNC_FULL_PAGE = "vnc.html"
# noVNC's view-only switch. Always set: noVNC remembers settings from the query string
# in the browser's storage, so a console opened after a view-only one must say "0".
NOVNC_VIEW_ONLY = "view_only"


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


def novnc_client(url):
    """"lite" for noVNC's vnc_lite.html, "full" for vnc.html / vnc_auto.html."""
    page = parse.urlsplit(url).path.rsplit("/", 1)[-1]
    return "lite" if page.startswith("vnc_lite") else "full"


def novnc_full(url):
    """``url`` on noVNC's full client: vnc_lite.html becomes vnc.html in its folder."""
    if novnc_client(url) != "lite":
        return url
    parts = parse.urlsplit(url)
    folder = parts.path.rsplit("/", 1)[0]
    return parse.urlunsplit(parts._replace(path=f"{folder}/{NOVNC_FULL_PAGE}"))


def with_params(url, params):
    """``url`` with ``params`` set in its query string (replacing the same keys)."""
    parts = parse.urlsplit(url)
    query = [(k, v) for k, v in parse.parse_qsl(parts.query, keep_blank_values=True)
             if k not in params]
    query.extend(params.items())
    return parse.urlunsplit(parts._replace(query=parse.urlencode(query)))


def quality_supported(con_type, url):
    return con_type == "VNC"


def console_url_for(con_type, url, quality, view_only=False):
    """The URL the browser opens: nova's URL plus the client's display settings
    (``view_only``: noVNC sends no keyboard or mouse input)."""
    if con_type != "VNC":
        return url
    params = dict(NOVNC_PARAMS)
    params.update(QUALITY_LEVELS[quality].vnc_params)
    params[NOVNC_VIEW_ONLY] = "1" if view_only else "0"
    return with_params(novnc_full(url), params)


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
