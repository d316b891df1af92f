from django.contrib import messages
from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from horizon import exceptions
from horizon import forms
from horizon import tables
from horizon import tabs
from horizon.utils import memoized
from openstack_dashboard.utils import settings as setting_utils

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.dashboards.project.desktops import desktop_forms as desktop_action_forms
from heps_desktop_dashboard.dashboards.project.desktops import forms as desktop_forms
from heps_desktop_dashboard.dashboards.project.desktops import rows as desktop_rows
from heps_desktop_dashboard.dashboards.project.desktops import tables as desktop_tables
from heps_desktop_dashboard.dashboards.project.desktops import tabs as desktop_tabs
from heps_desktop_dashboard.dashboards.project.desktops.policy import PolicyRequired
from heps_desktop_dashboard.dashboards.project.desktops.policy import check_once as policy_allows
from heps_desktop_dashboard.services import access


class IndexView(tables.PagedTableMixin, tables.DataTableView):
    """The project's desktops: one nova list call and one glance call per page."""

    table_class = desktop_tables.DesktopsTable
    template_name = "heps_desktops/desktops/index.html"
    page_title = _("Experiment Desktops")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table = context.get("table")
        context["expiring"] = [row for row in (table.data if table else [])
                               if row.allows(access.MANAGE)
                               and desktop_rows.expiry_warning(row)]
        context["expired_action"] = conf.get("expired_action")
        return context

    def _list_servers(self):
        ctx = api.context.for_request(self.request)
        size = setting_utils.get_page_size(self.request)
        marker, sort_dir = self._get_marker()
        try:
            servers, self._has_more_data, self._has_prev_data = api.nova.desktop_list_paged(
                ctx, size, marker=marker, reversed_order=sort_dir == "asc")
        except api.nova.InvalidMarker:
            messages.warning(
                self.request,
                _("That page of desktops is no longer available; showing the first page."),
            )
            servers, self._has_more_data, self._has_prev_data = api.nova.desktop_list_paged(
                ctx, size)
        return servers

    def get_data(self):
        try:
            servers = self._list_servers()
        except Exception:
            self._has_more_data = self._has_prev_data = False
            exceptions.handle(self.request, _("Unable to retrieve desktops."))
            return []
        images = {}
        if servers:
            try:
                images = api.glance.images_by_id(api.context.for_request(self.request),
                                                 desktop_rows.image_ids(servers))
                desktop_rows.remember_image_names(images)
            except Exception:
                exceptions.handle(self.request, _("Unable to retrieve desktop images."),
                                  ignore=True)
        ctx = api.context.for_request(self.request)
        names = desktop_rows.member_names(ctx, servers)
        result = []
        for server in servers:
            row = desktop_rows.DesktopRow(server, images, viewer=ctx, names=names)
            if row.metadata_problems:
                messages.warning(
                    self.request,
                    _('Desktop "%(name)s" has malformed metadata: %(keys)s.')
                    % {"name": row.name, "keys": ", ".join(row.metadata_problems)},
                )
            result.append(row)
        return result


class LaunchView(PolicyRequired, forms.ModalFormView):
    policy_rules = (("compute", "os_compute_api:servers:create"),)
    form_class = desktop_forms.LaunchForm
    form_id = "launch_desktop_form"
    modal_id = "launch_desktop_modal"
    template_name = "heps_desktops/desktops/launch.html"
    page_title = _("Launch Desktop")
    submit_label = _("Launch")
    submit_url = reverse_lazy("horizon:project:desktops:launch")
    success_url = reverse_lazy("horizon:project:desktops:index")

    def get_initial(self):
        # Restore (Archived tab): the Launch form with the archive to boot from.
        return {"archive": self.request.GET.get("archive", "")[:64]}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.GET.get("archive") or self.request.POST.get("archive"):
            context["page_title"] = _("Restore Desktop")
            context["submit_label"] = _("Restore")
        return context

    def get_success_url_from_handled(self, handled):
        # Horizon's ModalFormView asks this with what the form's handle() returned:
        # the new server, whose Console tab follows the boot and connects.
        return desktop_forms.success_url(handled)


def _load_desktop(request, desktop_id, what, images=None):
    """The desktop behind a URL (tag and project checked) when the user may do ``what``
    on it (services/access.py), or a redirect to the list with a message (never a 500)."""
    ctx = api.context.for_request(request)
    index = reverse("horizon:project:desktops:index")
    try:
        server = access.require(ctx, desktop_id, what)
    except access.AccessDenied as exc:
        messages.error(request, exc.message)
        raise exceptions.Http302(index) from exc
    except Exception:
        exceptions.handle(request, _('Unable to retrieve desktop "%s".') % desktop_id,
                          redirect=index)
    return desktop_rows.DesktopRow(server, images, detail=True, viewer=ctx,
                                   names=desktop_rows.member_names(ctx, [server]))


@method_decorator(never_cache, name="dispatch")
class DetailView(tabs.TabView):
    tab_group_class = desktop_tabs.DesktopDetailTabs
    template_name = "heps_desktops/desktops/detail.html"
    page_title = "{{ desktop.name }}"

    def _tab_only(self):
        # Horizon's ajax tab loading: only the selected tab is sent back (the Console
        # tab after a launch), not the page around it.
        return (self.request.headers.get("x-requested-with") == "XMLHttpRequest"
                and bool(self.request.GET.get("tab")))

    def _shows_image(self):
        # The image name is on the page and its Overview tab only.
        return not self._tab_only() or self.request.GET["tab"].endswith("__overview")

    @memoized.memoized_method
    def get_data(self):
        desktop = _load_desktop(self.request, self.kwargs["desktop_id"], access.DETAIL)
        if desktop.image_id and self._shows_image():
            ctx = api.context.for_request(self.request)
            try:
                images = api.glance.images_by_id(ctx, [desktop.image_id])
                desktop = desktop_rows.DesktopRow(
                    desktop.server, images, detail=True, viewer=ctx,
                    names=desktop_rows.member_names(ctx, [desktop.server]))
            except Exception:
                exceptions.handle(self.request, ignore=True)
        return desktop

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self._tab_only():
            return context  # no page header, actions or banner to render
        desktop = self.get_data()
        table = desktop_tables.DesktopsTable(self.request)
        context.update({
            "desktop": desktop,
            "url": reverse("horizon:project:desktops:index"),
            "actions": table.render_row_actions(desktop),
            "expiry_warning": (desktop.allows(access.MANAGE)
                               and desktop_rows.expiry_warning(desktop)),
            "expired_action": conf.get("expired_action"),
        })
        return context

    def get_tabs(self, request, *args, **kwargs):
        return self.tab_group_class(request, desktop=self.get_data(), **kwargs)


class DesktopModalView(PolicyRequired, forms.ModalFormView):
    """A modal form about the one desktop named in the URL (checked: tag, project and
    the user's level on it, for GET and POST alike)."""

    submit_label = _("Save")
    success_url = reverse_lazy("horizon:project:desktops:index")
    # What the user must be allowed on the desktop (services/access.py).
    access_action = access.MANAGE

    @memoized.memoized_method
    def get_object(self):
        return _load_desktop(self.request, self.kwargs["desktop_id"], self.access_action)

    def dispatch(self, request, *args, **kwargs):
        if not self.policy_rules or policy_allows(request, self.policy_rules):
            # Before any form is built: a refused user reads and changes nothing.
            self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["desktop"] = self.get_object()
        context["submit_url"] = reverse(self.submit_url_name, args=[self.kwargs["desktop_id"]])
        return context

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["desktop"] = self.get_object()
        return kwargs


class ExtendView(DesktopModalView):
    form_class = desktop_action_forms.ExtendForm
    template_name = "heps_desktops/desktops/extend.html"
    page_title = _("Extend Lifetime")
    policy_rules = (("compute", "os_compute_api:server-metadata:update"),)
    submit_label = _("Extend")
    submit_url_name = "horizon:project:desktops:extend"


class RenameView(DesktopModalView):
    form_class = desktop_action_forms.RenameForm
    template_name = "heps_desktops/desktops/rename.html"
    page_title = _("Rename Desktop")
    policy_rules = (("compute", "os_compute_api:servers:update"),)
    submit_url_name = "horizon:project:desktops:rename"

    def get_initial(self):
        return {"name": self.get_object().name}
