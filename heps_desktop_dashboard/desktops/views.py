from django.contrib import messages
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions, forms, tables

from heps_desktop_dashboard import api
from heps_desktop_dashboard.desktops import forms as desktop_forms
from heps_desktop_dashboard.desktops import rows as desktop_rows
from heps_desktop_dashboard.desktops import tables as desktop_tables


class IndexView(tables.PagedTableMixin, tables.DataTableView):
    """The project's desktops: one nova list call and one glance call per page."""

    table_class = desktop_tables.DesktopsTable
    template_name = "heps_desktops/desktops/index.html"
    page_title = _("Experiment Desktops")

    def _list_servers(self):
        marker, sort_dir = self._get_marker()
        try:
            servers, self._has_more_data, self._has_prev_data = api.nova.desktop_list_paged(
                self.request, marker=marker, reversed_order=sort_dir == "asc"
            )
        except api.nova.InvalidMarker:
            messages.warning(
                self.request,
                _("That page of desktops is no longer available; showing the first page."),
            )
            servers, self._has_more_data, self._has_prev_data = api.nova.desktop_list_paged(
                self.request
            )
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
                images = api.glance.images_by_id(self.request, desktop_rows.image_ids(servers))
                desktop_rows.remember_image_names(images)
            except Exception:
                exceptions.handle(self.request, _("Unable to retrieve desktop images."),
                                  ignore=True)
        result = []
        for server in servers:
            row = desktop_rows.DesktopRow(server, images)
            if row.metadata_problems:
                messages.warning(
                    self.request,
                    _('Desktop "%(name)s" has malformed metadata: %(keys)s.')
                    % {"name": row.name, "keys": ", ".join(row.metadata_problems)},
                )
            result.append(row)
        return result


class LaunchView(forms.ModalFormView):
    form_class = desktop_forms.LaunchForm
    form_id = "launch_desktop_form"
    modal_id = "launch_desktop_modal"
    template_name = "heps_desktops/desktops/launch.html"
    page_title = _("Launch Desktop")
    submit_label = _("Launch")
    submit_url = reverse_lazy("horizon:project:desktops:launch")
    success_url = reverse_lazy("horizon:project:desktops:index")
