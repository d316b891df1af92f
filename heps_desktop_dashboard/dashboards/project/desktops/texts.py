"""Words for what core.desktops computes, in the user's language: a desktop's time left
("23h 59m" in English, "23 小时 59 分钟" in 简体中文) and the reason a core rule refused a
value (core.desktops.RuleError)."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from heps_desktop_dashboard.core import desktops

RULE_TEXTS = {
    desktops.NAME_EMPTY: _("A desktop needs a name."),
    desktops.NAME_TOO_LONG: _("A desktop name is at most %(max)s characters."),
    desktops.NAME_CONTROL: _("A desktop name cannot contain control characters."),
    desktops.NAME_NOVA_CHARS: _("A desktop name cannot contain emoji, line breaks or other "
                                "characters the compute service does not accept in names."),
    desktops.EXTEND_HOURS: _("Extend by a whole number of hours, at least 1."),
    desktops.EXTEND_MAXIMUM: _("The desktop already runs until the maximum of %(max)s "
                               "hours from now."),
}


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


def rule_error(exc, texts=None):
    """Why a value was refused, in the user's language when core named the rule
    (RuleError; ``texts``: more {code: gettext_lazy text} of a panel's own rules), else
    the exception's own text."""
    code = getattr(exc, "code", None)
    text = (texts or {}).get(code) or RULE_TEXTS.get(code)
    if text is None:
        return str(exc)
    return text % exc.params if exc.params else str(text)
