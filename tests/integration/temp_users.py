"""Temporary keystone users for integration tests (made with the admin connection,
deleted afterwards): a second member of a seeded project, and its own connection."""

import contextlib
import secrets
import uuid


@contextlib.contextmanager
def temporary_member(admin, project_name, prefix="heps-it-member"):
    """A new user with the member role on ``project_name`` (its default project):
    yields (user, password); the user is deleted at the end."""
    identity = admin.identity
    project = identity.find_project(project_name)
    password = secrets.token_hex(12)
    user = identity.create_user(name=f"{prefix}-{uuid.uuid4().hex[:8]}", password=password,
                                domain_id="default", default_project_id=project.id)
    try:
        identity.assign_project_role_to_user(project, user, identity.find_role("member"))
        yield user, password
    finally:
        identity.delete_user(user)


def connect(devcloud, username, password, project_name):
    import openstack

    return openstack.connect(auth_url=devcloud.keystone_url, username=username,
                             password=password, project_name=project_name,
                             user_domain_name="Default", project_domain_name="Default",
                             region_name=devcloud.manifest.get("region") or "RegionOne")
