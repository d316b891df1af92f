"""The Launch form's persistent-desktop part: the Disk choice, restore from an archive
(the same form, ``?archive=<id>``), the volume quota, and what each refusal says.

Cinder absent or down: the choice is off with a message and ordinary launches work.
"""

import types

from django.utils.translation import gettext_lazy as _
from horizon import forms

from heps_desktop_dashboard import api
from heps_desktop_dashboard import conf
from heps_desktop_dashboard.services import archives
from heps_desktop_dashboard.services import persistent

PROFILE_DEFAULT = ""
PERSISTENT = "persistent"
EPHEMERAL = "ephemeral"
CHOICES = ((PROFILE_DEFAULT, _("As the profile says")),
           (PERSISTENT, _("Persistent: a volume, archived at expiry")),
           (EPHEMERAL, _("Not persistent: deleted at expiry")))
QUOTA_LABELS = {persistent.VOLUMES: _("Volumes"),
                persistent.GIGABYTES: _("Volume storage (GB)")}
UNAVAILABLE = _("Persistent desktops are not available right now: the block storage "
                "service does not answer or is not part of this cloud. Desktops launch "
                "without a volume.")
REFUSALS = (persistent.Unavailable, persistent.QuotaExceeded, archives.ArchiveNotFound,
            archives.ArchiveNotReady, archives.RestorePending)


def add_fields(form, storage):
    """The Disk choice and the archive being restored (hidden), set up from Cinder
    (``storage``: persistent.block_storage(), read by the form with its other reads)."""
    form.fields["disk"] = forms.ThemableChoiceField(
        label=_("Disk"), required=False, choices=CHOICES, initial=PROFILE_DEFAULT,
        help_text=_("A persistent desktop keeps its disk on a volume: at expiry it is "
                    "archived (Archived tab) and can be restored. Counts against the "
                    "project's volume quota."))
    form.fields["archive"] = forms.CharField(widget=forms.HiddenInput(), required=False,
                                             initial="")
    ctx = api.context.for_request(form.request)
    form.storage = storage
    archive_id = (form.data.get("archive") if form.is_bound
                  else form.initial.get("archive")) or ""
    form.archive = None
    if archive_id:
        _setup_restore(form, ctx, archive_id)
    elif not form.storage.available:
        form.fields["disk"].widget.attrs["disabled"] = "disabled"
        form.fields["disk"].help_text = UNAVAILABLE
    elif not conf.get("persistent_override"):
        form.fields["disk"].widget = forms.HiddenInput()


def _setup_restore(form, ctx, archive_id):
    try:
        form.archive = archives.get_archive(ctx, archive_id)
    except (archives.ArchiveNotFound, api.cinder.BlockStorageUnavailable):
        form.archive = None
        form.restore_error = _("That archive is not one of yours, or it is gone.")
        return
    archive = form.archive
    form.fields["archive"].initial = archive.id
    form.fields["disk"].widget = forms.HiddenInput()
    form.fields["name"].initial = archive.name
    # The archive's image, golden or not any more: its metadata is kept.
    image = next((i for i in form.catalog.images if i.id == archive.image_id), None)
    form.catalog.images = [image or types.SimpleNamespace(
        id=archive.image_id or archive.id, name=archive.image_id or archive.name,
        properties={})]
    form.fields["image"].choices = [(i.id, i.name) for i in form.catalog.images]
    form.fields["image"].initial = form.catalog.images[0].id
    if archive.profile:
        match = next((p for p in form.catalog.profiles if p.name == archive.profile), None)
        if match is not None:
            form.fields["profile"].initial = match.id


def is_persistent(form, data):
    profile = data.get("profile_obj")
    if form.archive is not None:
        return True
    if profile is None or not form.storage.available:
        return False
    choice = data.get("disk") or PROFILE_DEFAULT
    asked = None if choice == PROFILE_DEFAULT else choice == PERSISTENT
    return persistent.choose(profile, asked)


def clean(form, data):
    """Restore and persistent checks, the volume quota before anything is made."""
    if getattr(form, "restore_error", None):
        form.add_error(None, form.restore_error)
        return
    profile = data.get("profile_obj")
    data["persistent"] = is_persistent(form, data)
    if data.get("disk") == PERSISTENT and not form.storage.available:
        form.add_error("disk", UNAVAILABLE)
        return
    if profile is None or not data["persistent"]:
        return
    archive = form.archive
    if archive is not None and archive.state != "ready":
        form.add_error(None, refusal_text(archives.ArchiveNotReady(archive.id)))
        return
    size = max(profile.root_volume_gb, archive.size_gb if archive else 0)
    new_volume = archive is None or archive.resource == "backup"
    for line in form.storage.over_quota(persistent.needs(size, new_volume)):
        form.add_error(None, quota_text(line))


def quota_text(line):
    return _("Quota exceeded for %(resource)s: the project uses %(used)s of %(limit)s "
             "and this desktop needs %(needs)s more.") % {
        "resource": QUOTA_LABELS.get(line.resource, line.resource), "used": line.used,
        "limit": line.limit, "needs": line.needs}


def request_fields(form, data):
    """The LaunchRequest fields of this part."""
    return {"persistent": bool(data.get("persistent")) and form.archive is None,
            "archive_id": form.archive.id if form.archive is not None else ""}


def refusal_text(exc):
    if isinstance(exc, persistent.Unavailable):
        return UNAVAILABLE
    if isinstance(exc, persistent.QuotaExceeded):
        return " ".join(str(quota_text(line)) for line in exc.lines)
    if isinstance(exc, archives.ArchiveNotReady):
        return _("That archive is still being made or restored; restore it once the "
                 "Archived tab shows it as Ready.")
    if isinstance(exc, archives.RestorePending):
        return _("The archive is being restored from its backup to a volume. Restore it "
                 "again once the Archived tab shows it as Ready.")
    return _("That archive is not one of yours, or it is gone.")
