"""The hostile-input suite's endpoint table (tests/integration/hostile_endpoints.py)
covers every URL and every POST table action of the plugin, derived from the urlconf:
a new URL, form field or table action fails here until the table names it."""

from django.urls import URLResolver
from django.urls import get_resolver
from horizon import tables
from integration import hostile_endpoints as table


def _walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            yield from _walk(pattern.url_patterns,
                             f"{namespace}:{inner}" if namespace and inner
                             else inner or namespace)
        else:
            view = getattr(pattern.callback, "view_class", None) or pattern.callback
            yield f"{namespace}:{pattern.name}", view


def plugin_urls():
    return {name: view for name, view in _walk(get_resolver().url_patterns)
            if view.__module__.startswith("heps_desktop_dashboard.")}


def _post_actions(table_class):
    meta = table_class._meta
    actions = set(meta.table_actions) | set(meta.row_actions)
    return {action.name for action in actions
            if not issubclass(action, tables.LinkAction | tables.FilterAction)}


def _tables(view):
    classes = getattr(view, "table_classes", None) or ()
    if getattr(view, "table_class", None):
        classes = (*classes, view.table_class)
    return classes


def test_every_plugin_url_is_a_form_or_named_get_only():
    urls = plugin_urls()
    assert any(name.startswith("horizon:admin:") for name in urls)
    forms = {form.url_name for form in table.FORMS}
    missing = sorted(set(urls) - forms - set(table.GET_ONLY))
    assert not missing, f"URLs the hostile-input table does not cover: {missing}"
    stale = sorted((forms | set(table.GET_ONLY)) - set(urls))
    assert not stale, f"the hostile-input table names URLs that are gone: {stale}"
    assert not forms & set(table.GET_ONLY)


def test_every_post_table_action_is_in_the_table():
    declared = {(a.url_name, a.table, a.action) for a in table.TABLE_ACTIONS}
    found = set()
    for name, view in plugin_urls().items():
        for table_class in _tables(view):
            found |= {(name, table_class._meta.name, action)
                      for action in _post_actions(table_class)}
    assert found, "no table action found: the walk is broken"
    assert not found - declared, f"table actions not covered: {sorted(found - declared)}"
    assert not declared - found, f"table actions that are gone: {sorted(declared - found)}"


def test_every_form_field_is_posted():
    urls = plugin_urls()
    for form in table.FORMS:
        form_class = getattr(urls[form.url_name], "form_class", None)
        declared = set(form_class.base_fields) if form_class else set()
        if form.url_name.endswith("desktop_quotas:edit") or \
                form.url_name.endswith("desktop_quotas:defaults"):
            declared |= set(table.QUOTA_FIELDS) - {"extra_class", "extra_limit"}
        assert declared <= set(form.fields), (form.url_name, declared - set(form.fields))
        assert set(form.per_field) <= set(form.fields), form.url_name
        assert set(form.valid(table.Targets())) <= set(form.fields), form.url_name


def test_admin_flags_follow_the_url():
    for form in table.FORMS:
        assert form.admin == form.url_name.startswith("horizon:admin:"), form.url_name
    for action in table.TABLE_ACTIONS:
        assert action.admin == action.url_name.startswith("horizon:admin:"), action


def test_hostile_values_carry_the_marker_where_a_field_might_take_them():
    values = table.hostile_values("m4rk3r")
    for name in ("unicode", "script", "quotes", "sql"):
        assert "m4rk3r" in values[name]
    assert len(values["10kB"]) == 10240 and values["empty"] == ""
    ids = table.id_values(table.Targets(own="own", victim_a="a", victim_b="b"))
    assert "own" not in ids.values()
