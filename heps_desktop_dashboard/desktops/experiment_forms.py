"""Modal forms for experiment data: attach an experiment to a desktop, snapshot the
results share, create a share from a snapshot, save a desktop as an image."""

import datetime

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages

from heps_desktop_dashboard.core import mounts
from heps_desktop_dashboard.desktops import experiments

NAME_MAX = 255
DESCRIPTION_MAX = 255


def experiment_tab_url(desktop_id):
    return (reverse("horizon:project:desktops:detail", args=[desktop_id])
            + "?tab=desktop_details__experiment_data")


class _ExperimentForm(forms.SelfHandlingForm):
    desktop_id = forms.CharField(widget=forms.HiddenInput())

    def get_success_url(self):
        return experiment_tab_url(self.cleaned_data.get("desktop_id")
                                  or self.initial.get("desktop_id"))

    def _refused(self, exc, field=None):
        self.add_error(field, experiments.refusal_message(exc))

    def _manila_down(self):
        self.add_error(None, experiments.MANILA_DOWN)

    @staticmethod
    def _call(request, failure, call, *args, **kwargs):
        """Run an experiments.* step; a refusal or error becomes a message and None."""
        try:
            return call(request, *args, **kwargs)
        except experiments.ExportRefused as exc:
            messages.error(request, exc.message)
        except experiments.MountRefused as exc:
            messages.error(request, experiments.refusal_message(exc))
        except experiments.ShareServiceUnavailable:
            messages.error(request, experiments.MANILA_DOWN)
        except Exception:
            exceptions.handle(request, failure)
        return None


class AttachExperimentForm(_ExperimentForm):
    experiment = forms.ThemableChoiceField(label=_("Experiment"))
    # Raw data is offered read-only only; a hand-made POST asking for more is refused
    # here and again in core/mounts.py (and on Manila right before the grant).
    raw_access = forms.ChoiceField(
        label=_("Raw data"), choices=[("ro", _("Read-only, at /data/raw"))],
        error_messages={"invalid_choice": _("Raw experiment data can only be mounted "
                                            "read-only.")})
    results_access = forms.ChoiceField(
        label=_("Results"), choices=[("rw", _("Read-write, at /data/results")),
                                     ("ro", _("Read-only, at /data/results"))])
    confirm_restart = forms.BooleanField(
        label=_("Stop and restart the desktop to attach the data"), required=False,
        help_text=_("Unsaved work in the desktop's session is lost."))

    def __init__(self, request, *args, **kwargs):
        self.desktop = kwargs.pop("desktop")
        super().__init__(request, *args, **kwargs)
        self.mode = experiments.mount_mode()
        self.fields["experiment"].choices = experiments.experiment_choices(
            request, include_none=False) or [("", _("No experiment available"))]
        self.needs_restart = (self.mode == mounts.MODE_VIRTIOFS
                              and self.desktop.status == "active")
        if not self.needs_restart:
            del self.fields["confirm_restart"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if self.needs_restart and not data.get("confirm_restart"):
            self.add_error("confirm_restart", _("Attaching needs a restart of the desktop: "
                                                "confirm it, or stop the desktop first."))
            return data
        levels = {mounts.KIND_RAW: data["raw_access"],
                  mounts.KIND_RESULTS: data["results_access"]}
        try:
            data["plan"] = experiments.plan_for(self.request, data["experiment"], levels)
        except experiments.MountRefused as exc:
            self._refused(exc, "experiment")
        except experiments.ShareServiceUnavailable:
            self._manila_down()
        return data

    def handle(self, request, data):
        attached = self._call(request, _("Unable to attach the experiment data."),
                              _attach, data["desktop_id"], data["experiment"], data["plan"])
        if not attached:
            return False
        if self.needs_restart:
            message = _('Attaching experiment %(exp)s to desktop "%(name)s": it is stopped, '
                        'the shares are attached and it is started again.')
        else:
            message = _('Attaching experiment %(exp)s to desktop "%(name)s"; the Experiment '
                        'data tab shows the mounts.')
        messages.success(request, message % {"exp": data["experiment"],
                                              "name": self.desktop.name})
        return True


class SnapshotResultsForm(_ExperimentForm):
    share_id = forms.CharField(widget=forms.HiddenInput())
    name = forms.CharField(label=_("Snapshot name"), max_length=NAME_MAX)
    description = forms.CharField(label=_("Description"), max_length=DESCRIPTION_MAX,
                                  required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def handle(self, request, data):
        snapshot = self._call(request, _("Unable to snapshot the results share."),
                              experiments.snapshot_results, data["share_id"], data["name"],
                              data["description"])
        if snapshot is None:
            return False
        messages.success(request, _('Creating snapshot "%s" of the results share.')
                         % (snapshot.get("name") or data["name"]))
        return snapshot


class ShareFromSnapshotForm(_ExperimentForm):
    snapshot = forms.ThemableChoiceField(label=_("Snapshot"))
    name = forms.CharField(label=_("New share name"), max_length=NAME_MAX)
    description = forms.CharField(label=_("Description"), max_length=DESCRIPTION_MAX,
                                  required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, request, *args, **kwargs):
        snapshots = kwargs.pop("snapshots")
        super().__init__(request, *args, **kwargs)
        self.fields["snapshot"].choices = [
            (s["id"], f"{s.get('name') or s['id']} ({s.get('created_at', '')[:16]}, "
                      f"{s.get('size')} GiB, {s.get('status')})")
            for s in snapshots] or [("", _("No snapshot yet"))]

    def handle(self, request, data):
        share = self._call(request, _("Unable to create a share from the snapshot."),
                           experiments.share_from_snapshot, data["snapshot"], data["name"],
                           data["description"])
        if share is None:
            return False
        messages.success(request, _('Creating share "%s" from the snapshot.')
                         % (share.get("name") or data["name"]))
        return share


class SaveImageForm(_ExperimentForm):
    name = forms.CharField(label=_("Image name"), max_length=NAME_MAX)

    def handle(self, request, data):
        try:
            experiments.save_as_image(request, data["desktop_id"], data["name"])
        except Exception:
            exceptions.handle(request, _("Unable to save the desktop as an image."))
            return False
        messages.success(request, _('Saving the desktop as private image "%s".')
                         % data["name"])
        return True

    def get_success_url(self):
        return reverse("horizon:project:desktops:detail",
                       args=[self.cleaned_data.get("desktop_id")])


def _attach(request, desktop_id, experiment, plan):
    experiments.attach(request, desktop_id, experiment, plan=plan)
    return True


def default_image_name(desktop_name, now=None):
    now = now or datetime.datetime.now(datetime.UTC)
    return f"{desktop_name}-{now:%Y%m%d-%H%M}"[:NAME_MAX]
