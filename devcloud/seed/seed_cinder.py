"""Cinder part of the seed: the volume type heps-ssd and per-project volume quotas.

Idempotent like the rest of seed.py: looked up first, created or updated only where it
differs. Skipped (with a warning) when the catalog has no volumev3 endpoint.
"""

import seed_data as D

CINDER_MV = "3.62"


def ensure_volume_type(cinder_admin, rep):
    """The volume type (public, backend 'heps'); returns its id."""
    types = cinder_admin.get("/types?is_public=None").json()["volume_types"]
    found = [t for t in types if t["name"] == D.VOLUME_TYPE]
    spec = D.VOLUME_TYPE_SPEC
    if not found:
        vtype = cinder_admin.json("POST", "/types", {"volume_type": {
            "name": D.VOLUME_TYPE, "description": spec["description"],
            "os-volume-type-access:is_public": True,
            "extra_specs": spec["extra_specs"]}})["volume_type"]
        rep.created("volume type", D.VOLUME_TYPE, vtype["id"])
        return vtype["id"]
    vtype = found[0]
    have = vtype.get("extra_specs") or {}
    missing = {k: v for k, v in spec["extra_specs"].items() if have.get(k) != v}
    if missing:
        cinder_admin.json("POST", f"/types/{vtype['id']}/extra_specs",
                          {"extra_specs": missing})
    if vtype.get("description") != spec["description"] or not vtype.get("is_public"):
        cinder_admin.json("PUT", f"/types/{vtype['id']}", {"volume_type": {
            "description": spec["description"], "is_public": True}})
        missing = missing or {"description": spec["description"]}
    if missing:
        rep.updated("volume type", D.VOLUME_TYPE, ",".join(sorted(missing)))
    else:
        rep.unchanged("volume type", D.VOLUME_TYPE)
    return vtype["id"]


def ensure_volume_quotas(cinder_admin, rep, project_ids):
    for project, pid in project_ids.items():
        have = cinder_admin.get(f"/os-quota-sets/{pid}").json()["quota_set"]
        diff = {k: v for k, v in D.VOLUME_QUOTAS.items() if have.get(k) != v}
        if diff:
            cinder_admin.json("PUT", f"/os-quota-sets/{pid}", {"quota_set": diff})
            rep.updated("volume quota", project, ", ".join(
                f"{k}={v}" for k, v in sorted(diff.items())))
        else:
            rep.unchanged("volume quota", project)


def seed(sess, api_cls, endpoint, seed_error, rep, project_ids):
    """Returns the volume type id, or None when the cloud has no cinder."""
    try:
        url = endpoint(sess, ["volumev3"])
    except seed_error:
        rep.warn("no volumev3 endpoint in the catalog: skipping cinder")
        return None
    cinder_admin = api_cls(sess, url, {"OpenStack-API-Version": f"volume {CINDER_MV}"},
                           name="cinder")
    type_id = ensure_volume_type(cinder_admin, rep)
    ensure_volume_quotas(cinder_admin, rep, project_ids)
    return type_id
