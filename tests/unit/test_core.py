import datetime
import types

import pytest

from heps_desktop_dashboard.core import desktops
from heps_desktop_dashboard.core import profiles

UTC = datetime.UTC


@pytest.mark.parametrize("raw", [
    "2026-11-26T10:00:00Z", "2026-11-26T10:00:00+00:00", "2026-11-26T10:00:00",
    "2026-11-26T18:00:00+08:00",
])
def test_parse_expiry_accepts_utc_forms(raw):
    assert desktops.parse_expiry(raw) == datetime.datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["", "  ", "tomorrow", "2026-13-01T00:00:00Z", None, 12])
def test_parse_expiry_rejects_garbage(raw):
    with pytest.raises(desktops.InvalidDesktopMetadata):
        desktops.parse_expiry(raw)


def test_format_expiry_round_trips():
    moment = datetime.datetime(2026, 11, 26, 10, 0, 5, 123456, tzinfo=UTC)
    text = desktops.format_expiry(moment)
    assert text == "2026-11-26T10:00:05Z"
    assert desktops.parse_expiry(text) == moment.replace(microsecond=0)


def test_format_expiry_refuses_naive():
    with pytest.raises(ValueError):
        desktops.format_expiry(datetime.datetime(2026, 1, 1))


POLICY = desktops.LifetimePolicy(key=b"test-key", default_hours=24, max_hours=168,
                                 warning_hours=4)
EXPIRES = datetime.datetime(2026, 12, 1, tzinfo=UTC)


def build(**kw):
    args = {"policy": POLICY, "user_id": "u-1", "project_id": "p-1",
            "profile": "heps.vgpu.a16", "expires_at": EXPIRES, **kw}
    return desktops.build_metadata(**args)


def server(metadata=None, **kw):
    fields = {"id": "srv-1", "user_id": "u-1", "tenant_id": "p-1",
              "created": "2026-11-26T00:00:00Z", "flavor": {"original_name": "heps.vgpu.a16"},
              "metadata": metadata, **kw}
    return types.SimpleNamespace(**fields)


def test_build_metadata_has_the_convention_keys_and_a_launch_token():
    meta = build(experiment="2026-0142")
    assert set(meta) == {"heps:profile", "heps:expires_at", "heps:expires_sig",
                         "heps:experiment"}
    assert (meta["heps:profile"], meta["heps:expires_at"], meta["heps:experiment"]) == (
        "heps.vgpu.a16", "2026-12-01T00:00:00Z", "2026-0142")
    assert meta["heps:expires_sig"].startswith("v1 l 2026-12-01T00:00:00Z ")
    # No heps:owner any more: nova's user_id is the owner.
    assert "heps:owner" not in meta


def test_build_metadata_without_experiment_omits_key():
    assert "heps:experiment" not in build()


@pytest.mark.parametrize("bad", ["<script>", "a b", "x" * 65, "-lead", "2026-0142\n",
                                 "2026-0142\n-extra"])
def test_build_metadata_rejects_bad_experiment(bad):
    with pytest.raises(desktops.InvalidDesktopMetadata):
        build(experiment=bad)


def test_experiment_ids_must_match_whole():
    assert desktops.validate_experiment("2026-0142") == "2026-0142"
    assert desktops.validate_experiment("") == ""
    for bad in ("2026-0142\n", " 2026-0142", "2026-0142;x", 142):
        with pytest.raises(desktops.InvalidDesktopMetadata):
            desktops.validate_experiment(bad)


def test_read_desktop_collects_problems_instead_of_failing():
    now = datetime.datetime(2026, 11, 26, 1, tzinfo=UTC)
    info = desktops.read_desktop(
        server({"heps:expires_at": "soon", "heps:experiment": "<b>",
                "heps:owner": "mallory"}), POLICY, now)
    assert info.experiment == "" and info.claimed_expiry == "soon"
    assert set(info.problems) == {"heps:expires_at", "heps:experiment"}
    assert info.expiry_problem == desktops.EXPIRY_UNSIGNED
    # The owner is nova's user_id, whatever heps:owner says.
    assert info.owner_id == "u-1"
    assert info.expires_at == datetime.datetime(2026, 11, 27, tzinfo=UTC)   # fallback


def test_read_desktop_tolerates_non_dict_metadata():
    now = datetime.datetime(2026, 11, 26, 1, tzinfo=UTC)
    for metadata in (None, ["x"], "text"):
        info = desktops.read_desktop(server(metadata), POLICY, now)
        assert info.expiry_problem == desktops.EXPIRY_MISSING
        assert info.experiment == "" and info.profile == "heps.vgpu.a16"


def test_read_desktop_profile_is_the_flavor_s_then_the_metadata_s():
    info = desktops.read_desktop(server({"heps:profile": "edited"}), POLICY)
    assert info.profile == "heps.vgpu.a16"
    info = desktops.read_desktop(server({"heps:profile": "heps.cpu"}, flavor={}), POLICY)
    assert info.profile == "heps.cpu"


def test_time_left_and_expired():
    now = datetime.datetime(2026, 11, 26, tzinfo=UTC)
    info = desktops.DesktopInfo(expires_at=datetime.datetime(2026, 11, 26, 5, 30,
                                                             tzinfo=UTC))
    assert info.time_left(now) == datetime.timedelta(hours=5, minutes=30)
    assert not info.is_expired(now)
    assert info.is_expired(now + datetime.timedelta(hours=6))
    assert desktops.within_warning(info, 6, now) and not desktops.within_warning(info, 4, now)
    assert desktops.DesktopInfo().time_left(now) is None


def test_extended_expiry_never_passes_the_maximum():
    now = datetime.datetime(2026, 11, 26, tzinfo=UTC)
    hour = datetime.timedelta(hours=1)
    assert desktops.extended_expiry(now + hour, 2, 168, now) == now + 3 * hour
    assert desktops.extended_expiry(now - hour, 2, 168, now) == now + 2 * hour
    assert desktops.extended_expiry(now + 167 * hour, 5, 168, now) == now + 168 * hour
    for bad in (0, True, 1.5):
        with pytest.raises(ValueError):
            desktops.extended_expiry(now, bad, 168, now)
    with pytest.raises(ValueError):
        desktops.extended_expiry(now + 168 * hour, 1, 168, now)


@pytest.mark.parametrize("seconds,text", [
    (-5, "expired"), (0, "expired"), (30, "1m"), (600, "10m"), (3 * 3600 + 120, "3h 2m"),
    (2 * 86400 + 3600, "2d 1h"),
])
def test_format_time_left(seconds, text):
    assert desktops.format_time_left(datetime.timedelta(seconds=seconds)) == text


def test_format_time_left_none():
    assert desktops.format_time_left(None) == ""


def test_expiry_after_bounds():
    now = datetime.datetime(2026, 11, 26, tzinfo=UTC)
    assert desktops.expiry_after(24, 168, now) == now + datetime.timedelta(days=1)
    for bad in (0, -1, 169, 2.5, True, "3"):
        with pytest.raises(ValueError):
            desktops.expiry_after(bad, 168, now)


def test_names():
    assert desktops.default_name("alice") == "alice-desktop"
    assert desktops.default_name("alice", "2026-0142") == "alice-2026-0142-desktop"
    assert desktops.clean_name("  Ünïcødé 桌面 <b> ") == "Ünïcødé 桌面 <b>"
    for bad in ("", "   ", "x" * 256, "bad\x00name"):
        with pytest.raises(ValueError):
            desktops.clean_name(bad)
    # nova's rule for server names, one place for the Launch and Rename forms and the
    # rename service
    for bad, code in (("zero\u200bwidth", desktops.NAME_CONTROL),
                      ("c1\x85control", desktops.NAME_CONTROL),
                      ("emoji \U0001F600", desktops.NAME_NOVA_CHARS),
                      ("line\u2028break", desktops.NAME_NOVA_CHARS)):
        with pytest.raises(desktops.RuleError) as refused:
            desktops.clean_name(bad)
        assert refused.value.code == code


def test_is_desktop():
    assert desktops.is_desktop(["a", "heps-desktop"])
    assert not desktops.is_desktop(None)


VGPU_SPECS = {"heps:profile": "true", "heps:gpu_kind": "vgpu", "resources:VGPU": "1",
              "trait:CUSTOM_HEPS_GPU_A16": "required", "heps:gpu_model": "A16"}


def test_profile_from_vgpu_flavor():
    p = profiles.profile_from_flavor("f1", "heps.vgpu.a16", 8, 32768, 40, VGPU_SPECS)
    assert (p.gpu_kind, p.gpu_model, p.gpu_resources, p.gpu_count) == (
        "vgpu", "A16", {"VGPU": 1}, 1)


def test_profile_kinds_are_inferred_and_checked():
    whole = profiles.profile_from_flavor(
        "f2", "a100", 16, 65536, 80,
        {"heps:profile": "True", "resources:CUSTOM_HEPS_GPU_A100": "2"})
    assert whole.gpu_kind == "passthrough" and whole.gpu_count == 2
    pci = profiles.gpu_resources({"pci_passthrough:alias": "a100:1,t4:2"})
    assert pci == {"pci:a100": 1, "pci:t4": 2}
    cpu = profiles.profile_from_flavor("f3", "cpu", 4, 8192, 20, {"heps:profile": "yes"})
    assert cpu.gpu_kind == "none" and cpu.gpu_count == 0
    with pytest.raises(profiles.InvalidProfile):
        profiles.profile_from_flavor("f4", "m1.small", 1, 512, 1, {})
    with pytest.raises(profiles.InvalidProfile):
        profiles.profile_from_flavor("f5", "bad", 1, 512, 1,
                                     {"heps:profile": "true", "heps:gpu_kind": "vgpu"})
    with pytest.raises(profiles.InvalidProfile):
        profiles.profile_from_flavor("f6", "bad", 1, 512, 1,
                                     {"heps:profile": "true", "heps:gpu_kind": "quantum"})


def test_gpu_resources_ignores_non_gpu_and_garbage():
    assert profiles.gpu_resources({"resources:VCPU": "2", "resources:VGPU": "x",
                                   "resources1:VGPU": "1"}) == {"VGPU": 1}
