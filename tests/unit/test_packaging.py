"""The wheel ships the top-level enabled/, static/, templates/ (where Horizon looks) and
tests/ inside the package."""

import pathlib
import sysconfig

import heps_desktop_dashboard

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_tests_use_the_installed_non_editable_plugin():
    installed = pathlib.Path(heps_desktop_dashboard.__file__).resolve()
    assert pathlib.Path(sysconfig.get_paths()["purelib"]).resolve() in installed.parents
    assert (installed.parent / "templates" / "heps_desktops" / "desktops" / "index.html").exists()
    assert not (installed.parent.parent / "setup.cfg").exists()


def test_wheel_contains_enabled_static_and_templates(wheel_names):
    names = wheel_names
    for top in ("enabled", "static", "templates", "tests"):
        for path in (ROOT / top).rglob("*"):
            if (path.is_file() and "__pycache__" not in path.parts
                    and (top != "tests" or path.suffix in (".py", ".txt"))):
                shipped = "heps_desktop_dashboard/" + path.relative_to(ROOT).as_posix()
                assert shipped in names, shipped
    assert "heps_desktop_dashboard/enabled/_1720_project_heps_desktops_panel.py" in names
    assert "heps_desktop_dashboard/locale/zh_Hans/LC_MESSAGES/django.po" in names
    assert "heps_desktop_dashboard/local_settings.d/_1799_heps_desktops_settings.py" in names
    assert not any(name.startswith(("enabled/", "static/", "templates/", "tests/"))
                   for name in names)


def test_zh_hans_catalog_is_compiled_and_used():
    import pathlib as _pathlib

    from django.utils import translation

    locale = _pathlib.Path(heps_desktop_dashboard.__file__).parent / "locale" / "zh_Hans"
    assert (locale / "LC_MESSAGES" / "django.mo").exists()
    with translation.override("zh-hans"):
        assert translation.gettext("Launch Desktop") == "创建桌面"


def test_settings_snippet_names_every_setting():
    from heps_desktop_dashboard import conf

    snippet = (pathlib.Path(heps_desktop_dashboard.__file__).parent / "local_settings.d"
               / "_1799_heps_desktops_settings.py")
    namespace = {}
    exec(snippet.read_text(), namespace)  # noqa: S102 - the plugin's own settings snippet
    assert set(namespace["HEPS_DESKTOPS"]) == set(conf.DEFAULTS)
    readme = (ROOT / "README.md").read_text()
    for key in conf.DEFAULTS:
        assert f"| `{key}` |" in readme, key
