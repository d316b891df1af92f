"""The quota modals: one project's limits, and the default (registered) limits. Only the
values the admin changed are written (services/quotas.py)."""

import logging
import re

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from horizon import forms
from horizon import messages

from heps_desktop_dashboard import api
from heps_desktop_dashboard.core import quota_admin
from heps_desktop_dashboard.dashboards.admin.desktop_quotas import tables as quota_tables
from heps_desktop_dashboard.services import quotas

LOG = logging.getLogger(__name__)
INDEX = "horizon:admin:desktop_quotas:index"
_CLASS_RE = re.compile(r"^(class:)?[A-Z][A-Z0-9_]{0,254}$")
FIELD_NAMES = {quota_admin.SERVERS: "servers", quota_admin.VCPU: "vcpus",
               quota_admin.MEMORY: "ram_mb"}


def field_name(resource):
    return FIELD_NAMES.get(resource) or "gpu_" + quota_admin.gpu_class_of(resource)


def _limit_field(resource, required=False, help_text="", used=None):
    text = _("RAM (MiB)") if resource == quota_admin.MEMORY else quota_tables.label(resource)
    if used is not None:
        text = _("%(label)s — %(used)s in use") % {
            "label": text, "used": quota_tables.amount(resource, used)}
    return forms.IntegerField(label=text, required=required, min_value=0,
                              max_value=quota_admin.LIMIT_MAX, help_text=help_text)


class _LimitsForm(forms.SelfHandlingForm):
    """Integer limit fields keyed by resource, plus an optional other GPU class."""

    extra_class = forms.CharField(
        label=_("Another GPU class"), required=False, max_length=260,
        help_text=_("A GPU resource class placement knows (VGPU or CUSTOM_…), e.g. for "
                    "a GPU model no host has yet."))
    extra_limit = forms.IntegerField(label=_("Its limit"), required=False, min_value=0,
                                     max_value=quota_admin.LIMIT_MAX)

    def _setup(self, resources, initial, help_texts, required=(), extra=True, usage=None):
        self.resources = list(resources)
        self.initial_values = dict(initial)
        extra_fields = {name: self.fields.pop(name) for name in ("extra_class", "extra_limit")}
        for resource in self.resources:
            name = field_name(resource)
            self.fields[name] = _limit_field(resource, resource in required,
                                             help_texts.get(resource, ""),
                                             (usage or {}).get(resource))
            self.fields[name].initial = initial.get(resource)
        if extra:
            self.fields.update(extra_fields)

    def clean(self):
        data = super().clean()
        cleaned = {resource: data.get(field_name(resource)) for resource in self.resources
                   if field_name(resource) in data}
        text = (data.get("extra_class") or "").strip()
        if text:
            self._clean_extra(text, data.get("extra_limit"), cleaned)
        elif data.get("extra_limit") is not None:
            self.add_error("extra_class", _("Name the GPU class this limit is for."))
        data["limits"] = cleaned
        return data

    def _clean_extra(self, text, value, cleaned):
        resource = text if text.startswith(quota_admin.CLASS_PREFIX) else \
            quota_admin.gpu_resource(text)
        rclass = quota_admin.gpu_class_of(resource)
        if not _CLASS_RE.match(text) or rclass not in self.known_classes:
            self.add_error("extra_class", _(
                "%(name)s is not a GPU class placement knows (known: %(known)s).") % {
                    "name": text, "known": ", ".join(self.known_classes) or _("none")})
        elif resource in self.resources:
            self.add_error("extra_class", _("%s has its own field above.") % rclass)
        elif value is None:
            self.add_error("extra_limit", _("Give the limit for %s.") % rclass)
        else:
            cleaned[resource] = value

    def get_success_url(self):
        return reverse(INDEX)


def refused_text(exc):
    done = [quota_tables.label(change.resource) for change in getattr(exc, "done", ())]
    if done:
        return _("Saved %(done)s, then refused: %(why)s") % {"done": ", ".join(map(str, done)),
                                                            "why": exc}
    return _("Nothing was changed: %s") % exc


def _help(edit, resource):
    if edit.driver == quota_admin.LEGACY:
        return _("Empty: unlimited.")
    default = quota_tables.amount(resource, edit.defaults[resource]) \
        if resource in edit.defaults else _("none")
    return _("Empty: the default (%s) applies.") % default


class QuotaForm(_LimitsForm):
    """One project's limits: keystone project limits (unified-limits driver) or nova's
    instances/cores/RAM (legacy driver)."""

    def __init__(self, request, *args, **kwargs):
        self.edit = kwargs.pop("edit")
        super().__init__(request, *args, **kwargs)
        edit = self.edit
        self.known_classes = edit.known_classes
        lines = edit.project.lines
        if edit.driver == quota_admin.LEGACY:
            resources = quota_admin.BASE
            initial = {r: lines[r].limit for r in resources}
        else:
            resources = list(lines)
            own = edit.readings.project_values(edit.project_id)
            initial = {r: quota_admin.unlimited_to_none(own.get(r)) for r in resources}
        self._setup(resources, initial, {r: _help(edit, r) for r in resources},
                    extra=edit.driver == quota_admin.UNIFIED,
                    usage={r: lines[r].used for r in resources})

    def handle(self, request, data):
        usage = {resource: line.used for resource, line in self.edit.project.lines.items()}
        changes = quota_admin.changes(self.initial_values, data["limits"], usage)
        name = self.edit.project.name
        if not changes:
            messages.info(request, _('Nothing changed for "%s".') % name)
            return True
        try:
            below = quotas.set_project(api.context.for_request(request), self.edit, changes)
        except quotas.QuotaRefused as exc:
            self.api_error(refused_text(exc))
            return False
        except Exception as exc:
            LOG.warning("Quota update of %s failed: %s", self.edit.project_id, exc)
            self.api_error(_("Unable to update the quotas: a service did not answer; "
                             "try again later."))
            return False
        for change in below:
            messages.warning(request, _(
                "%(resource)s of %(project)s is now %(limit)s, below the %(used)s in use: "
                "running desktops are not touched; new ones are refused until usage "
                "drops.") % {"resource": quota_tables.label(change.resource), "project": name,
                             "limit": quota_tables.amount(change.resource, change.value),
                             "used": quota_tables.amount(change.resource, change.used)})
        messages.success(request, _('Quotas of "%s" updated.') % name)
        return True


class DefaultsForm(_LimitsForm):
    """The default limits: keystone registered limits of compute (unified-limits
    driver) or nova's default quota class (legacy driver)."""

    def __init__(self, request, *args, **kwargs):
        self.driver, self.evidence, defaults, self.known_classes, self.readings = \
            kwargs.pop("defaults")
        super().__init__(request, *args, **kwargs)
        self.locked = []
        resources = list(quota_admin.BASE)
        if self.driver == quota_admin.UNIFIED:
            resources += [r for r in defaults if quota_admin.gpu_class_of(r)]
        helps = {r: _("Empty: no default limit (nova does not limit the class).")
                 for r in resources if r not in quota_admin.BASE}
        self._setup(resources, {r: defaults.get(r) for r in resources}, helps,
                    required=quota_admin.BASE, extra=self.driver == quota_admin.UNIFIED)
        if self.driver == quota_admin.UNIFIED:
            self._lock_referenced(resources)

    def _lock_referenced(self, resources):
        """Keystone refuses to change a registered limit while project limits of the
        same resource exist: such a default is shown, not editable."""
        projects, self.locked = {}, []
        for item in self.readings.limits or ():
            projects.setdefault(item["resource_name"], set()).add(item.get("project_id"))
        for resource in resources:
            if projects.get(resource):
                field = self.fields[field_name(resource)]
                field.disabled = True
                self.locked.append(resource)
                field.help_text = ngettext(
                    "Keystone keeps this default while %(count)s project has a limit of "
                    "its own for it: change that project's limit instead.",
                    "Keystone keeps this default while %(count)s projects have a limit of "
                    "their own for it: change those projects' limits instead.",
                    len(projects[resource])) % {"count": len(projects[resource])}

    def handle(self, request, data):
        changes = quota_admin.changes(self.initial_values, data["limits"])
        if not changes:
            messages.info(request, _("Nothing changed in the default limits."))
            return True
        try:
            quotas.set_defaults(api.context.for_request(request), self.driver,
                                self.readings, changes, self.known_classes)
        except quotas.QuotaRefused as exc:
            self.api_error(refused_text(exc))
            return False
        except Exception as exc:
            LOG.warning("Default limit update failed: %s", exc)
            self.api_error(_("Unable to update the default limits: a service did not "
                             "answer; try again later."))
            return False
        messages.success(request, _("Default limits updated."))
        return True
