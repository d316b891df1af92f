"""core/usage.py: which of nova's usage records are desktops, their GPUs from the
profile's extra specs, totals per project / experiment / user, the split per day; and
api/nova_usage.py following nova's pages."""

import datetime
from unittest import mock

import pytest

from heps_desktop_dashboard.api import nova_usage
from heps_desktop_dashboard.core import usage
from test_data import usage_data as ud
from test_data.contexts import user_context

D1, D2, D3 = "d1000000-0000-4000-8000-000000000001", "d2000000-0000-4000-8000-000000000002", \
    "d3000000-0000-4000-8000-000000000003"
S4, S5, D6 = "54000000-0000-4000-8000-000000000004", "55000000-0000-4000-8000-000000000005", \
    "d6000000-0000-4000-8000-000000000006"


def scenario():
    records = [
        ud.record(D1, "heps.vgpu.a16", ud.at(1, 12)),                        # running 60 h
        ud.record(D2, "heps.a100.double", ud.at(1) - datetime.timedelta(days=1),
                  ended=ud.at(2, 6), project=ud.PROJECT_B),                  # deleted, 30 h
        ud.record(D3, "heps.cpu.std", ud.at(3)),                             # running 24 h
        ud.record(S4, "m1.small", ud.at(1)),                                 # not a desktop
        ud.record(S5, "m1.small", ud.at(1), ended=ud.at(2)),                 # gone, no profile
        ud.record(D6, "heps.vgpu.a16", ud.at(3, 12), project=ud.PROJECT_B),  # 12 h
    ]
    desktops = {D1: ud.desktop(D1), D3: ud.desktop(D3, "heps.cpu.std", experiment=""),
                D6: ud.desktop(D6, project=ud.PROJECT_B, user=ud.BOB, experiment="")}
    desktops[D6].metadata["heps:experiment"] = "not an experiment!"
    return usage.desktop_usages(records, desktops, ud.SPECS, nova_usage.parse_time)


def by_id(usages):
    return {u.server_id: u for u in usages}


def test_records_that_are_desktops_with_their_gpus():
    found = by_id(scenario())
    assert set(found) == {D1, D2, D3, D6}
    assert found[D1].gpus == {ud.VGPU_KEY: 1}
    assert (found[D1].user_id, found[D1].experiment, found[D1].deleted) == \
        (ud.ALICE, "2026-0142", False)
    assert found[D1].hours == pytest.approx(60.0)
    # gone: only what nova's record says, GPUs from the flavor of that name
    assert (found[D2].user_id, found[D2].experiment, found[D2].deleted) == ("", None, True)
    assert found[D2].gpus == {ud.A100_KEY: 2}
    assert found[D2].gpu_hours == pytest.approx(60.0)
    assert found[D3].gpu_hours == 0
    assert found[D6].experiment == ""  # edited metadata that is no experiment id


def test_groups_per_project_experiment_and_user():
    usages = scenario()
    lines = {line.key: line for line in usage.group(usages, usage.BY_PROJECT)}
    a, b = lines[(ud.PROJECT_A,)], lines[(ud.PROJECT_B,)]
    assert (a.desktops, a.desktop_hours, a.gpu_hours) == (2, pytest.approx(84.0),
                                                          pytest.approx(60.0))
    assert (b.desktops, b.gpu_hours) == (2, pytest.approx(72.0))
    assert b.gpu_by_class == {ud.A100_KEY: pytest.approx(60.0), ud.VGPU_KEY: pytest.approx(12)}
    assert [line.key for line in usage.group(usages)][0] == (ud.PROJECT_B,)  # most GPU-hours
    experiments = {line.key for line in usage.group(usages, usage.BY_EXPERIMENT)}
    assert experiments == {(ud.PROJECT_A, "2026-0142"), (ud.PROJECT_A, ""),
                           (ud.PROJECT_B, None), (ud.PROJECT_B, "")}
    users = {line.key: line for line in usage.group(usages, usage.BY_USER)}
    assert set(users) == {(ud.ALICE,), (ud.BOB,), ("",)}
    assert users[("",)].gpu_hours == pytest.approx(60.0)
    total = usage.totals(usages)
    assert total.gpu_hours == pytest.approx(sum(line.gpu_hours for line in lines.values()))


def test_split_per_day_sums_to_novas_hours():
    usages = scenario()
    dates, series = usage.per_day_by(usages, ud.START, ud.STOP, usage.BY_PROJECT,
                                     usage.DESKTOP_HOURS)
    assert dates == [datetime.date(2026, 11, d) for d in (1, 2, 3)]
    assert series[(ud.PROJECT_A,)] == pytest.approx([12.0, 24.0, 48.0])
    assert series[(ud.PROJECT_B,)] == pytest.approx([24.0, 6.0, 12.0])
    _dates, gpu = usage.per_day_by_gpu_class(usages, ud.START, ud.STOP)
    assert gpu[ud.A100_KEY] == pytest.approx([48.0, 12.0, 0.0])
    assert sum(gpu[ud.VGPU_KEY]) == pytest.approx(72.0)


def test_gpu_classes_and_which_providers_serve_them():
    assert usage.gpu_classes({"resources:VGPU": "1"}) == {("VGPU", ()): 1}
    assert usage.gpu_classes({"pci_passthrough:alias": "a100:2"}) == {("pci:a100", ()): 2}
    assert usage.gpu_classes({"resources:VCPU": "4"}) == {}
    assert usage.class_label(ud.VGPU_KEY) == "VGPU (CUSTOM_HEPS_GPU_A16)"
    assert usage.serves(ud.VGPU_KEY, "VGPU", ("CUSTOM_HEPS_GPU_A16", "CUSTOM_OTHER"))
    assert not usage.serves(ud.VGPU_KEY, "VGPU", ("CUSTOM_HEPS_GPU_A40",))
    assert usage.serves(("VGPU", ()), "VGPU", ("CUSTOM_HEPS_GPU_A16",))
    assert not usage.serves(ud.A100_KEY, "VGPU", ())


def test_periods():
    start, end = usage.period_of_dates(datetime.date(2026, 11, 1), datetime.date(2026, 11, 1))
    assert end - start == datetime.timedelta(days=1)
    with pytest.raises(ValueError):
        usage.period_of_dates(datetime.date(2026, 11, 2), datetime.date(2026, 11, 1))
    with pytest.raises(ValueError):
        usage.period_of_dates(datetime.date(2025, 1, 1), datetime.date(2026, 11, 1))
    assert usage.month_start(ud.at(17, 5)) == ud.at(1)


def _page(servers, marker=None, stop="2026-11-04T00:00:00.000000"):
    body = {"tenant_usages": [{"tenant_id": ud.PROJECT_A, "server_usages": servers,
                               "stop": stop}]}
    if marker:
        body["tenant_usages_links"] = [{"rel": "next", "href": "http://nova/v2.1/"
                                        f"os-simple-tenant-usage?limit=2&marker={marker}"}]
    return body


def test_usage_api_follows_novas_pages():
    ctx = user_context(is_admin=True)
    pages = [_page([{"instance_id": "a"}, {"instance_id": "b"}], marker="b"),
             _page([{"instance_id": "c"}], stop="2026-11-04T00:00:01.000000")]
    with mock.patch.object(nova_usage.nova_client, "request", side_effect=pages) as request:
        found = nova_usage.usage_all_projects(ctx, ud.START, ud.STOP)
    assert [s["instance_id"] for s in found.servers] == ["a", "b", "c"]
    assert found.stop == datetime.datetime(2026, 11, 4, 0, 0, 1, tzinfo=datetime.UTC)
    first, second = (c.args for c in request.call_args_list)
    assert first[2].startswith("/os-simple-tenant-usage?start=2026-11-01T00%3A00%3A00&"
                               "end=2026-11-04T00%3A00%3A00&detailed=1&limit=1000")
    assert "marker=b" in second[2] and first[3] == "tenant_usage"


def test_project_usage_api_and_admin_refusal():
    ctx = user_context()
    with pytest.raises(nova_usage.nova_admin.NotAdmin):
        nova_usage.usage_all_projects(ctx, ud.START, ud.STOP)
    body = {"tenant_usage": {"server_usages": [{"instance_id": "a"}],
                             "stop": "2026-11-03T00:00:00"}}
    with mock.patch.object(nova_usage.nova_client, "request", return_value=body) as request:
        found = nova_usage.usage_project(ctx, ud.START, ud.STOP)
    assert request.call_args.args[2].startswith(
        f"/os-simple-tenant-usage/{ctx.project_id}?")
    assert len(found.servers) == 1
    with mock.patch.object(nova_usage.nova_client, "request", return_value={"tenant_usage": {}}):
        assert nova_usage.usage_project(ctx, ud.START, ud.STOP).servers == []
