"""Admin › Desktops: the list (one services/fleet.page call), a desktop's page, and the
admin's Extend modal. The panel's policy (compute's admin rule) guards every URL."""

from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages
from horizon import tables
from horizon import views as horizon_views
from horizon.utils import memoized
from openstack_dashboard.utils import settings as setting_utils

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.dashboards.admin.desktops import forms as fleet_forms
from heps_desktop_dashboard.dashboards.admin.desktops import rows
from heps_desktop_dashboard.dashboards.admin.desktops import tables as fleet_tables
from heps_desktop_dashboard.services import fleet

INDEX = "horizon:admin:desktops:index"
MISSING = {
    fleet.NAMES: _("Project and user names are unavailable (identity service): "
                   "ids are shown."),
    fleet.IMAGES: _("Image names are unavailable (image service): ids are shown."),
    fleet.PROFILES: _("The profile list is unavailable: the profile and GPU model "
                      "filters offer no choices."),
}


class IndexView(tables.PagedTableMixin, tables.DataTableView):
    table_class = fleet_tables.FleetTable
    template_name = "heps_desktops/admin/desktops/index.html"
    page_title = _("Desktops")

    @memoized.memoized_method
    def filter_form(self):
        return fleet_forms.FilterForm(self.request.GET)

    def get_data(self):
        form = self.filter_form()
        if form.is_bound and not form.is_valid():
            messages.warning(self.request, _("Some filters are not valid and were not "
                                             "applied."))
        marker, sort_dir = self._get_marker()
        self.page = fleet.Page([])
        try:
            self.page = fleet.page(api.context.for_request(self.request),
                                   setting_utils.get_page_size(self.request), marker=marker,
                                   reversed_order=sort_dir == "asc", filters=form.filters())
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve desktops."))
        page = self.page
        if page.marker_reset:
            messages.warning(self.request, _("That page of desktops is no longer "
                                             "available; showing the first page."))
        for missing in sorted(page.missing):
            messages.warning(self.request, MISSING[missing])
        self._has_more_data, self._has_prev_data = page.has_more, page.has_prev
        self.table.filter_query = form.query_string()
        self.table.fetched = (page.first_id, page.last_id)
        if page.projects or page.users:
            rows.remember_names(page.projects, page.users)
        return [rows.FleetRow(server, page.projects, page.users, page.images)
                for server in page.servers]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = getattr(self, "page", fleet.Page([]))
        context.update({
            "filter_form": self.filter_form(),
            "projects": sorted(page.projects.items(), key=lambda item: item[1].lower()),
            "users": sorted(page.users.items(), key=lambda item: item[1].lower()),
            "profiles": sorted({ref.name for ref in page.catalog}),
            "gpu_models": sorted({ref.gpu_model for ref in page.catalog if ref.gpu_model}),
        })
        return context


def _load(request, desktop_id):
    """(FleetRow, detail) of the URL's desktop, or a redirect to the list with a message."""
    try:
        server, project, owner, images = fleet.desktop(api.context.for_request(request),
                                                       desktop_id)
    except Exception:
        exceptions.handle(request, _('Unable to retrieve desktop "%s".') % desktop_id,
                          redirect=reverse(INDEX))
    return rows.FleetRow(server, {server.tenant_id: project}, {server.user_id: owner},
                         images, detail=True)


class DetailView(horizon_views.HorizonTemplateView):
    template_name = "heps_desktops/admin/desktops/detail.html"
    page_title = "{{ desktop.name }}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        desktop = _load(self.request, self.kwargs["desktop_id"])
        table = fleet_tables.FleetTable(self.request)
        context.update({
            "desktop": desktop,
            "url": reverse(INDEX),
            "actions": table.render_row_actions(desktop),
            "instance_url": reverse("horizon:admin:instances:detail", args=[desktop.id]),
            "user_max_hours": conf.get("max_lifetime_hours"),
        })
        return context


class ExtendView(forms.ModalFormView):
    form_class = fleet_forms.ExtendForm
    template_name = "heps_desktops/admin/desktops/extend.html"
    page_title = _("Extend Desktop (admin)")
    submit_label = _("Extend")
    success_url = reverse_lazy(INDEX)

    @memoized.memoized_method
    def get_object(self):
        return _load(self.request, self.kwargs["desktop_id"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["desktop"] = self.get_object()
        context["submit_url"] = reverse("horizon:admin:desktops:extend",
                                        args=[self.kwargs["desktop_id"]])
        context["user_max_hours"] = conf.get("max_lifetime_hours")
        return context

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["desktop"] = self.get_object()
        return kwargs
