"""A desktop's time left in the user's language (core.desktops.format_time_left's parts,
words from the catalog: "23h 59m" in English, "23 小时 59 分钟" in 简体中文)."""

from django.utils.translation import gettext

from heps_desktop_dashboard.core import desktops


def time_left(delta):
    if delta is None:
        return ""
    parts = desktops.split_time_left(delta)
    if parts is None:
        return gettext("expired")
    days, hours, minutes = parts
    if days:
        return gettext("%(days)sd %(hours)sh") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)sh %(minutes)sm") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)sm") % {"minutes": minutes}
