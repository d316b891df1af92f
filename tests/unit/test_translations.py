"""The 简体中文 catalog is complete and compiled.

- every message the code and templates of the installed package mark for translation is in
  ``locale/zh_Hans/LC_MESSAGES/django.po``, translated, and no entry is fuzzy (the messages are
  collected here the way makemessages does: Python calls by name, templates through Django's
  own ``templatize``; no gettext tools needed);
- placeholders and HTML tags of every translation are those of its msgid;
- the shipped ``django.mo`` holds exactly what the ``.po`` compiles to (not stale);
- the JavaScript writes no text of its own, or it goes through ``gettext()`` (djangojs);
- a sample (plural action labels, a launch form label, a message) comes out in Chinese.
"""

import ast
import datetime
import gettext
import pathlib
import re

import pytest
from django.utils import translation
from django.utils.translation.template import templatize

import heps_desktop_dashboard

PACKAGE = pathlib.Path(heps_desktop_dashboard.__file__).resolve().parent
MESSAGES = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = MESSAGES / "django.po"
MO = MESSAGES / "django.mo"
CJK = re.compile(r"[\u4e00-\u9fff]")

# The names makemessages (xgettext) extracts from Python, and where the message is.
CALLS = {
    "_": (None, 0, None), "gettext": (None, 0, None), "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None), "ngettext": (None, 0, 1), "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None), "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2), "npgettext_lazy": (0, 1, 2),
}


# -- reading the catalog -----------------------------------------------------------------

def po_entries(path):
    """The .po's entries (blocks between blank lines): dicts with ctx, id, plural, strs (the
    msgstr or msgstr[n] in order) and flags; obsolete (#~) entries are left out."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, field = {"flags": set(), "strs": {}}, None
        lines = [line.strip() for line in block.strip().splitlines()]
        if not lines or all(line.startswith("#~") or not line for line in lines):
            continue
        for line in lines:
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
                continue
            if line.startswith("#"):
                continue
            match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?) (".*")$', line)
            if match:
                keyword, index, line = match.groups()
                field = {"msgctxt": "ctx", "msgid": "id", "msgid_plural": "plural"}.get(
                    keyword, int(index or 0))
            value = ast.literal_eval(line)
            target = entry["strs"] if isinstance(field, int) else entry
            target[field] = target.get(field, "") + value
        entry["strs"] = [entry["strs"][i] for i in sorted(entry["strs"])]
        entries.append(entry)
    return entries


def catalog_messages():
    return [entry for entry in po_entries(PO) if entry["id"]]


def _key(ctx, msgid):
    return (ctx or "", msgid)


# -- what the code marks for translation ---------------------------------------------------

def _python_messages(path):
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name not in CALLS:
            continue
        ctx_at, id_at, _plural_at = CALLS[name]
        literal = [isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                   for arg in node.args]
        if len(literal) <= id_at or not literal[id_at]:
            continue
        if ctx_at is not None and not literal[ctx_at]:
            continue
        ctx = node.args[ctx_at].value if ctx_at is not None else ""
        found.add(_key(ctx, node.args[id_at].value))
    return found


TEMPLATE_CALL = re.compile(r"\b(%s)\(" % "|".join(CALLS))
LITERAL = re.compile(r"""\s*(u?'(?:[^'\\]|\\.)*'|u?"(?:[^"\\]|\\.)*")\s*,?""")


def _template_messages(path):
    """Django's templatize turns the template into gettext(...) calls with Python literals,
    which makemessages hands to xgettext; they are read here the same way."""
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found = set()
    for call in TEMPLATE_CALL.finditer(code):
        args, at = [], call.end()
        while literal := LITERAL.match(code, at):
            args.append(ast.literal_eval(literal.group(1)))
            at = literal.end()
        ctx_at, id_at, _plural_at = CALLS[call.group(1)]
        if len(args) > id_at:
            found.add(_key(args[ctx_at] if ctx_at is not None else "", args[id_at]))
    return found


def _code_messages():
    found = {}
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "tests" or "__pycache__" in relative.parts:
            continue
        if path.suffix == ".py":
            keys = _python_messages(path)
        elif path.suffix in (".html", ".txt"):
            keys = _template_messages(path)
        else:
            continue
        for key in keys:
            found.setdefault(key, str(relative))
    return found


# -- the tests -----------------------------------------------------------------------------

def test_catalog_has_no_untranslated_or_fuzzy_entry():
    entries = catalog_messages()
    assert len(entries) > 500
    untranslated = [repr(e["id"]) for e in entries if not e["strs"] or not all(e["strs"])]
    fuzzy = [repr(e["id"]) for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, "untranslated:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy:\n" + "\n".join(fuzzy)
    header = po_entries(PO)[0]
    assert header["id"] == "" and "Plural-Forms: nplurals=1; plural=0;" in header["strs"][0]


def test_every_message_of_the_code_is_in_the_catalog():
    """A string added to the code or a template without makemessages + a translation
    fails here (it would show in English under 简体中文)."""
    catalog = {_key(e.get("ctx"), e["id"]) for e in catalog_messages()}
    code = _code_messages()
    assert ("", "Launch Desktop") in code and ("", "Start Desktop") in code
    missing = sorted(f"{where}: {key[1]!r}" + (f" (context {key[0]!r})" if key[0] else "")
                     for key, where in code.items() if key not in catalog)
    assert not missing, ("not in the zh_Hans catalog (see locale/GLOSSARY.zh_Hans.md, "
                         "Updating the catalog):\n" + "\n".join(missing))


PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]?\d*(?:\.\d+)?[sdifr]|%[sdifr]|%%|\{\w*\}")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def test_translations_keep_placeholders_and_html_tags():
    wrong = []
    for entry in catalog_messages():
        for text in entry["strs"]:
            for pattern in (PLACEHOLDER, TAG):
                if sorted(pattern.findall(entry["id"])) != sorted(pattern.findall(text)):
                    wrong.append(f"{entry['id']!r} -> {text!r}")
    assert not wrong, "\n".join(wrong)


def test_translations_are_chinese():
    """Every translation with English words in it has Chinese in it too: nothing was left
    as a copy of the English (names such as GPU, vGPU, SPICE stay as they are)."""
    english = [f"{e['id']!r} -> {text!r}" for e in catalog_messages() for text in e["strs"]
               if re.search(r"[a-z]{4,}", PLACEHOLDER.sub("", text))
               and not CJK.search(text)]
    assert not english, "\n".join(english)


def _compiled(entries):
    """What msgfmt makes of the entries, as gettext.GNUTranslations keys its catalog:
    translated, non-fuzzy entries; context as "ctx\\x04msgid"; plurals as (msgid, n)."""
    catalog = {}
    for entry in entries:
        if "fuzzy" in entry["flags"] or not entry["strs"] or not all(entry["strs"]):
            continue
        msgid = (entry["ctx"] + "\x04" if "ctx" in entry else "") + entry["id"]
        if "plural" in entry:
            catalog.update({(msgid, n): text for n, text in enumerate(entry["strs"])})
        else:
            catalog[msgid] = entry["strs"][0]
    return catalog


def test_shipped_mo_is_compiled_from_the_po():
    with MO.open("rb") as mo:
        shipped = gettext.GNUTranslations(mo)
    entries = po_entries(PO)
    messages = dict(shipped._catalog)  # noqa: SLF001 - the .mo's whole message set
    header = messages.pop("")  # msgfmt leaves POT-Creation-Date out of the compiled header
    compiled = _compiled(entries)
    compiled.pop("")
    assert messages == compiled
    assert "Plural-Forms: nplurals=1; plural=0;" in header and shipped.plural(5) == 0


def test_wheel_ships_the_compiled_catalog(wheel_names):
    for name in ("django.po", "django.mo"):
        assert f"heps_desktop_dashboard/locale/zh_Hans/LC_MESSAGES/{name}" in wheel_names


JS_GETTEXT = re.compile(r"""\b(?:gettext|ngettext|pgettext|interpolate)\(""")
# A sentence-like literal (a capitalised word and more words): text a user would read.
JS_SENTENCE = re.compile(r"""(['"])([A-Z][a-z]+(?: [A-Za-z'’,.!?:-]+)+)\1""")


def test_javascript_text_goes_through_gettext():
    """The scripts build no text of their own (labels are in the translated templates); text
    a script does show must be wrapped in Horizon's JavaScript gettext() and be in a
    translated djangojs catalog."""
    scripts = sorted((PACKAGE / "static").rglob("*.js"))
    assert scripts
    untranslated, wrapped = [], []
    for script in scripts:
        code = re.sub(r"/\*.*?\*/|^\s*//.*?$", "", script.read_text(encoding="utf-8"),
                      flags=re.S | re.M)
        for match in JS_SENTENCE.finditer(code):
            before = code[max(0, match.start() - 12):match.start()]
            (wrapped if JS_GETTEXT.search(before) else untranslated).append(
                f"{script.name}: {match.group(2)!r}")
    assert not untranslated, "\n".join(untranslated)
    if wrapped:
        djangojs = MESSAGES / "djangojs.po"
        assert djangojs.exists(), "run makemessages -d djangojs"
        assert all(all(e["strs"]) for e in po_entries(djangojs) if e["id"])


NOW = datetime.datetime(2026, 11, 29, 9, tzinfo=datetime.UTC)
SSH_RULE = {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
            "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.0/8"}


def test_sample_strings_come_out_in_chinese():
    from heps_desktop_dashboard.core import desktops as core_desktops
    from heps_desktop_dashboard.dashboards.admin.desktops import actions as admin_actions
    from heps_desktop_dashboard.dashboards.project.desktops import actions
    from heps_desktop_dashboard.dashboards.project.desktops import forms
    from heps_desktop_dashboard.dashboards.project.desktops import texts
    from heps_desktop_dashboard.services import network_policy

    left = datetime.timedelta(hours=23, minutes=59, seconds=30)

    with translation.override("zh-hans"):
        assert str(actions.StartDesktop.action_present(1)) == "启动桌面"
        assert str(actions.StopDesktop.action_present(3)) == "停止桌面"
        assert str(actions.ShelveDesktop.action_present(2)) == "搁置桌面（释放 GPU）"
        assert str(actions.UnshelveDesktop.action_past(2)) == "正在取消搁置桌面"
        assert str(actions.DeleteDesktop.action_present(2)) == "删除桌面"
        assert str(admin_actions.HardRebootDesktop.action_present(1)) == "硬重启桌面"
        assert str(forms.LaunchForm.base_fields["profile"].label) == "桌面配置"
        assert str(forms.LaunchForm.base_fields["lifetime_hours"].label) == "使用时长（小时）"
        assert translation.gettext('Launching desktop "%s".') % "alice-desktop" == (
            "正在创建桌面“alice-desktop”。")
        assert translation.ngettext("%(free)s free now", "%(free)s free now", 3) % {
            "free": 3} == "当前空闲 3 个"
        assert translation.gettext("Experiment Desktops") == "实验桌面"
        assert texts.time_left(left) == "23 小时 59 分钟"
        assert texts.time_left(-left) == "已过期"
        with pytest.raises(ValueError) as refused:
            core_desktops.extended_expiry(NOW + datetime.timedelta(hours=168), 1, 168, NOW)
        assert texts.rule_error(refused.value) == "桌面已运行到从现在起 168 小时的上限。"
        assert network_policy.rule_text(SSH_RULE) == "入口 IPv4 tcp 端口 22，来自 10.0.0.0/8"
    with translation.override("en"):
        assert str(actions.StartDesktop.action_present(2)) == "Start Desktops"
        assert texts.time_left(left) == "23h 59m"
        assert network_policy.rule_text(SSH_RULE) == "ingress IPv4 tcp port 22 from 10.0.0.0/8"
