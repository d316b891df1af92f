"""Keystone names for the Admin dashboard: every project's and every user's name, one
call each however many rows a page shows (keystone's default policy: admins only)."""


def _identity(ctx):
    return ctx.cached("keystone", lambda: ctx.adapter("identity", version=(3, 0)))


def _names(ctx, path, key):
    body = _identity(ctx).get(path, raise_exc=True).json()
    return {item["id"]: item.get("name") or item["id"] for item in body.get(key, [])
            if item.get("id")}


def project_names(ctx):
    """``{project id: name}`` of every project (``GET /v3/projects``)."""
    return _names(ctx, "/projects", "projects")


def user_names(ctx):
    """``{user id: name}`` of every user (``GET /v3/users``)."""
    return _names(ctx, "/users", "users")
