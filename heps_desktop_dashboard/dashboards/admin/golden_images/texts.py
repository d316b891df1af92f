"""The reasons of the golden image checklist (core.golden_checks Check.code and .params)
in the admin's language."""

from django.utils.translation import gettext_lazy as _

REASON_TEXTS = {
    "snapshot_inherited": _("nova's snapshot of server %(server)s (shelve, backup or a "
                            "user's snapshot): it inherited the golden flag from its image, "
                            "unmark it"),
    "snapshot": _("nova's snapshot of server %(server)s (shelve, backup or a user's "
                  "snapshot)"),
    "saved_desktop": _("saved desktop %(desktop)s"),
    "uploaded": _("uploaded image"),
    "active": _("active"),
    "not_active": _("%(status)s: nova boots active images only"),
    "no_status": _("no status: nova boots active images only"),
    "no_disk_format": _("no disk format: the image has no data yet"),
    "iso": _("iso: boots an installer, not a ready desktop"),
    "bad_disk_format": _("%(format)s: KVM desktops boot raw or qcow2; convert it "
                         "(qemu-img convert -O qcow2)"),
    "bad_container": _("%(format)s in a %(container)s container: nova expects bare"),
    "video_ram_too_high": _("hw_video_ram %(wanted)s MB is more than %(profiles)s allows: "
                            "nova refuses to boot it"),
    "video_unset": _("hw_video_model not set: the desktop gets the hypervisor's default "
                     "adapter (low resolutions, slow console); set virtio or qxl"),
    "video_none": _("hw_video_model none: no display, the console stays black"),
    "video_slow": _("hw_video_model %(model)s: virtio or qxl give desktop resolutions and a "
                    "fast console"),
    "video_ok": _("hw_video_model %(model)s"),
    "agent_ok": _("hw_qemu_guest_agent %(value)s"),
    "agent_unset": _("hw_qemu_guest_agent not set: no guest agent, so no quiesced snapshot "
                     "(Save as Image) and no clean shutdown through it"),
    "no_profile": _("no desktop profile to check against"),
    "ram_short": _("min RAM %(need)s MB is more than %(profiles)s offers: nova refuses to "
                   "boot it with them"),
    "ram_ok": _("min RAM %(need)s MB fits every profile (smallest %(smallest)s MB)"),
    "disk_short": _("needs a %(need)s GB root disk (min disk and virtual size); "
                    "%(profiles)s offers less"),
    "disk_zero": _("%(profiles)s has no root disk size (0 GB): nova lets only admins boot "
                   "images with such a flavor"),
    "disk_ok": _("needs %(need)s GB, every profile's root disk is large enough"),
    "disk_ok_unknown": _("needs %(need)s GB, every profile's root disk is large enough "
                         "(virtual size unknown)"),
    "members_unknown": _("shared: its members could not be read"),
    "shared_unaccepted": _("shared, but no project accepted it: only %(owner)s sees it"),
    "shared_pending": _("shared with %(accepted)s; %(pending)s did not accept it (glance "
                        "lists shared images to accepted members only)"),
    "shared_ok": _("shared with %(accepted)s and its owner %(owner)s"),
    "hidden": _("hidden (os_hidden): glance lists it to nobody, the launch form never shows "
                "it"),
    "community": _("community: glance does not list community images by default, the "
                   "launch form never shows it"),
    "public": _("public: every project that may use a desktop profile sees it"),
    "private": _("private: only project %(owner)s sees it in the launch form"),
    "unseen": _("no project that sees it may use a desktop profile (every profile is "
                "private to other projects)"),
    "no_gpu_profile": _("no GPU profile"),
    "gpu_driver_ok": _("declares %(driver)s for %(profiles)s"),
    "gpu_driver_unset": _("%(property)s not declared: desktops of %(profiles)s may boot "
                          "without a working GPU driver"),
    "no_catalog_text": _("no techniques and no description: the launch form shows the name "
                         "only"),
    "no_techniques": _("no techniques: the launch form shows the name only"),
    "no_description": _("no description: the launch form shows the name only"),
}


def reason(check):
    """A check's reason in the admin's language (core's English for a code that
    is only its parameters, such as the disk format or the techniques)."""
    text = REASON_TEXTS.get(check.code)
    if text is None:
        return check.reason
    return text % check.params if check.params else str(text)
