from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs
from openstack_dashboard.dashboards.project.instances import audit_tables
from openstack_dashboard.utils import settings as settings_utils

from heps_desktop_dashboard import api
from heps_desktop_dashboard.dashboards.project.desktops import audit_events
from heps_desktop_dashboard.dashboards.project.desktops import console
from heps_desktop_dashboard.dashboards.project.desktops import launch_status
from heps_desktop_dashboard.dashboards.project.desktops import network_tab
from heps_desktop_dashboard.dashboards.project.desktops.experiments import tabs as experiment_tabs
from heps_desktop_dashboard.dashboards.project.desktops.storage import tabs as storage_tabs
from heps_desktop_dashboard.services import access
from heps_desktop_dashboard.services import sharing


def _desktop_allows(tab, what):
    return tab.tab_group.kwargs["desktop"].allows(what)


class OverviewTab(tabs.Tab):
    name = _("Overview")
    slug = "overview"
    template_name = "heps_desktops/desktops/_detail_overview.html"
    # Rendered with the page when it is the tab shown (the default); loaded on demand
    # when the page opens on another tab (Launch leads to the Console tab).
    preload = False

    def get_context_data(self, request):
        desktop = self.tab_group.kwargs["desktop"]
        context = {"desktop": desktop, "grants": [], "support_records": []}
        if desktop.allows(access.SHARE):
            # Names where keystone tells them (services.access.project_members).
            names = access.project_members(api.context.for_request(request)).names
            context["grants"] = [
                {"user_id": g.user_id, "name": names.get(g.user_id, g.user_id),
                 "level": g.level, "valid": g.valid}
                for g in sharing.grants_of(desktop.server)]
            context["support_records"] = [
                {"user_id": r.user_id, "name": names.get(r.user_id, r.user_id),
                 "when": r.when, "reason": r.reason, "valid": r.valid}
                for r in access.support_records(desktop.server)]
            context["share_url"] = reverse("horizon:project:desktops:share",
                                           args=[desktop.id])
            context["unshare_url"] = reverse("horizon:project:desktops:unshare",
                                             args=[desktop.id])
        return context


class LogTab(tabs.Tab):
    name = _("Log")
    slug = "log"
    template_name = "heps_desktops/desktops/_detail_log.html"
    preload = False
    policy_rules = (("compute", "os_compute_api:os-console-output"),)

    def allowed(self, request):
        return _desktop_allows(self, access.LOG_OUTPUT) and super().allowed(request)

    def get_context_data(self, request):
        desktop = self.tab_group.kwargs["desktop"]
        length = settings_utils.get_log_length(request)
        try:
            log = api.nova.console_output(api.context.for_request(request), desktop.id,
                                          length=length)
        except Exception:
            log = None
            exceptions.handle(request, _("Unable to get the desktop's log."), ignore=True)
        return {"desktop": desktop, "console_log": log, "log_length": length}


class ActionLogTab(tabs.TableTab):
    """nova's instance actions, and the dashboard's audit events of the desktop."""

    name = _("Action Log")
    slug = "audit"
    table_classes = (audit_tables.AuditTable, audit_events.DesktopEventsTable)
    template_name = "heps_desktops/desktops/_detail_action_log.html"
    preload = False
    policy_rules = (("compute", "os_compute_api:os-instance-actions:list"),)

    def get_audit_data(self):
        try:
            return api.nova.action_list(api.context.for_request(self.request),
                                       self.tab_group.kwargs["desktop"].id)
        except Exception:
            exceptions.handle(self.request, _("Unable to retrieve the action log."))
            return []

    def get_desktop_events_data(self):
        rows, self.events_note = audit_events.events_of(self.request,
                                                        self.tab_group.kwargs["desktop"])
        return rows

    def get_context_data(self, request, **kwargs):
        context = super().get_context_data(request, **kwargs)
        context["events_note"] = getattr(self, "events_note", "")
        return context


class ConsoleTab(tabs.Tab):
    name = _("Console")
    slug = "console"
    template_name = "heps_desktops/desktops/_detail_console.html"
    # Loaded on demand: console URLs carry short-lived tokens.
    preload = False
    policy_rules = (("compute", "os_compute_api:os-remote-consoles"),)

    def _progress(self, request):
        # A desktop on its way up shows its boot progress and polls (launch_status.py);
        # the console is fetched once it answers. Decided once per render.
        if not hasattr(self, "_progress_context"):
            self._progress_context = launch_status.progress_context(
                request, self.tab_group.kwargs["desktop"])
        return self._progress_context

    def get_template_name(self, request):
        if self._progress(request) is not None:
            return launch_status.TEMPLATE
        return super().get_template_name(request)

    def get_context_data(self, request):
        progress = self._progress(request)
        if progress is not None:
            return progress
        context = console.console_context(request, self.tab_group.kwargs["desktop"])
        # Running, but the console service did not answer: keep trying by itself.
        self._progress_context = launch_status.retry_context(
            self.tab_group.kwargs["desktop"], context)
        return self._progress_context or context

    def allowed(self, request):
        # Horizon's Tab.allowed() is where policy_rules are checked: keep it.
        return (bool(getattr(settings, "CONSOLE_TYPE", "AUTO"))
                and _desktop_allows(self, access.CONSOLE) and super().allowed(request))


class DesktopDetailTabs(tabs.DetailTabsGroup):
    slug = "desktop_details"
    tabs = (OverviewTab, ConsoleTab, LogTab, ActionLogTab, network_tab.NetworkTab,
            experiment_tabs.ExperimentDataTab, storage_tabs.MyStorageTab)
    sticky = True
