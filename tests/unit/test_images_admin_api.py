"""api/images_admin.py: glance's image JSON as ImageRecords (every page, and the hidden
golden images), members, and catalog updates as one JSON patch (add or replace by what
the image has, remove only what it has)."""

from unittest import mock

from heps_desktop_dashboard.api import images_admin
from heps_desktop_dashboard.core import golden
from test_data.contexts import user_context


def body(image_id, name, **extra):
    found = {"id": image_id, "name": name, "status": "active", "visibility": "public",
             "owner": "p1", "disk_format": "qcow2", "container_format": "bare",
             "min_ram": 0, "min_disk": 0, "virtual_size": 1024, "os_hidden": False,
             "hw_video_model": "virtio"}
    found.update(extra)
    return found


def glance(responses):
    adapter = mock.Mock(name="glance")
    adapter.get.side_effect = [mock.Mock(json=mock.Mock(return_value=r)) for r in responses]
    ctx = user_context(is_admin=True)
    ctx.clients["glance"] = adapter
    return ctx, adapter


def test_every_page_and_the_hidden_golden_images():
    ctx, adapter = glance([
        {"images": [body("b", "beta")], "next": "/v2/images?marker=b"},
        {"images": [body("a", "Alpha", heps_golden="true")]},
        {"images": [body("h", "hidden", os_hidden=True, heps_golden="true")]},
    ])
    found = images_admin.image_list_all(ctx)
    assert [i.name for i in found] == ["Alpha", "beta", "hidden"]
    assert found[0].golden and found[2].hidden
    assert found[0].properties == {"heps_golden": "true", "hw_video_model": "virtio"}
    first, second, hidden = adapter.get.call_args_list
    assert first.kwargs["params"] == {"visibility": "all", "limit": 200}
    assert second.args[0] == "/v2/images?marker=b" and second.kwargs["params"] is None
    assert hidden.kwargs["params"]["os_hidden"] == "true"


def test_update_is_one_json_patch():
    ctx, adapter = glance([])
    record = images_admin.record(body("a", "a", heps_golden="false", heps_description="x"))
    adapter.patch.return_value = mock.Mock(json=mock.Mock(return_value=body("a", "a")))
    images_admin.image_update_properties(
        ctx, record, {golden.GOLDEN: "true", golden.TECHNIQUES: "imaging"},
        [golden.DESCRIPTION, golden.GPU_DRIVER])
    path = adapter.patch.call_args.args[0]
    assert path == "/v2/images/a"
    assert adapter.patch.call_args.kwargs["json"] == [
        {"op": "replace", "path": "/heps_golden", "value": "true"},
        {"op": "add", "path": "/heps_techniques", "value": "imaging"},
        {"op": "remove", "path": "/heps_description"}]
    assert adapter.patch.call_args.kwargs["headers"] == {
        "Content-Type": "application/openstack-images-v2.1-json-patch"}
    adapter.patch.reset_mock()
    assert images_admin.image_update_properties(ctx, record, {}, ["nothing"]) is record
    adapter.patch.assert_not_called()


def test_members():
    ctx, _adapter = glance([{"members": [{"member_id": "p2", "status": "pending"},
                                         {"member_id": "p3", "status": "accepted"}]}])
    assert images_admin.image_members(ctx, "a") == {"p2": "pending", "p3": "accepted"}
