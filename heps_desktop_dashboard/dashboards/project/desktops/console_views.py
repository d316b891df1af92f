"""Console views: the plugin's own VNC console page, and a virt-viewer (.vv) file for
native SPICE clients (spice-direct)."""

from django import http
from django import shortcuts
from django.contrib import messages
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import generic
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from horizon import exceptions

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.project.desktops import console
from heps_desktop_dashboard.dashboards.project.desktops import rows as desktop_rows
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyRequired
from heps_desktop_dashboard.services import access


@method_decorator(never_cache, name="dispatch")
@method_decorator(xframe_options_sameorigin, name="dispatch")
class ConsoleClientView(PolicyRequired, generic.TemplateView):
    """``GET console/vnc/``: the plugin's noVNC client page, framed by the Console tab.

    It holds no desktop data: the Console tab (console.console_context) resolves the
    console, checks the user's mode and records the audit event, then points this page
    at nova's websocket proxy through the URL's fragment (never sent to the server).
    """

    policy_rules = (("compute", "os_compute_api:os-remote-consoles"),)
    template_name = "heps_desktops/desktops/console_client.html"


@method_decorator(never_cache, name="dispatch")
class SpiceDirectView(PolicyRequired, generic.View):
    """``GET <desktop>/console.vv``: a fresh spice-direct console as a .vv file.

    The file holds a console token: it is never cached (``no-store``) and never logged.
    Errors go back to the desktop's page with a message, never a 500.
    """

    policy_rules = (("compute", "os_compute_api:os-remote-consoles"),)

    def get(self, request, desktop_id):
        detail_url = reverse("horizon:project:desktops:detail", args=[desktop_id])
        proxy = console.spice_direct_proxy()
        if not proxy or not console.spice_direct_available(request):
            raise http.Http404(_("No native SPICE console is offered here."))
        ctx = api.context.for_request(request)
        index = reverse("horizon:project:desktops:index")
        try:
            # Full input: the owner's and control grantees' only (no view-only file).
            server = access.require(ctx, desktop_id, access.NATIVE_CONSOLE)
            desktop = desktop_rows.DesktopRow(server, viewer=ctx)
        except access.AccessDenied as exc:
            messages.error(request, exc.message)
            return shortcuts.redirect(index)
        except Exception:
            exceptions.handle(request, _('Unable to retrieve desktop "%s".') % desktop_id,
                              redirect=index)
        if desktop.status != "active" or desktop.task_state:
            messages.error(request,
                           _("The desktop is not running: start it to open its console."))
            return shortcuts.redirect(detail_url)
        try:
            url = api.nova.spice_direct_console_url(ctx, desktop.id)
            body = console.virt_viewer_file(desktop, url, proxy)
            access.console_opened(ctx, server, access.MODE_CONTROL, "spice-direct")
        except Exception:
            exceptions.handle(request, _("Unable to open a native SPICE console for this "
                                         "desktop."), redirect=detail_url)
        response = http.HttpResponse(body, content_type="application/x-virt-viewer")
        response["Content-Disposition"] = (
            f'attachment; filename="{console.vv_filename(desktop)}"')
        response["X-Content-Type-Options"] = "nosniff"
        return response
