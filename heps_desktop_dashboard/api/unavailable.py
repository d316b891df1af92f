"""One rule for every client library: a service that cannot be reached, or answers 5xx,
raises the caller's ``Unavailable`` error (a Horizon message, never a 500); a 4xx stays
the library's own exception for the caller to judge."""

import functools

import requests
from keystoneauth1 import exceptions as ks_exceptions

_UNREACHABLE = (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout,
                ks_exceptions.EndpointNotFound)
# For callers that judge an error themselves (the Launch form): keystoneauth's "could not
# connect" and "token no longer valid", so views need not import the session library.
CONNECT_FAILED = (ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout)
SESSION_UNAUTHORIZED = ks_exceptions.Unauthorized


def _status(exc):
    for attr in ("http_status", "code", "status_code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    return 0


def translating(unavailable, connection_errors=(), http_errors=()):
    """A decorator turning unreachable/5xx into ``unavailable(message)``.

    ``connection_errors``: the library's own "cannot connect" exceptions;
    ``http_errors``: its HTTP error base classes (a 5xx of those is unavailable)."""
    http = (*http_errors, ks_exceptions.HttpError)

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except (*_UNREACHABLE, *connection_errors) as exc:
                raise unavailable(str(exc)) from exc
            except http as exc:
                if _status(exc) >= 500:
                    raise unavailable(str(exc)) from exc
                raise
        return wrapper
    return decorate
