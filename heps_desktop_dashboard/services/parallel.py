"""Independent reads in parallel threads (each OpenStack call waits on the network)."""

import concurrent.futures

from django.utils import translation

MAX_WORKERS = 8


def call_all(calls, max_workers=MAX_WORKERS):
    """Run ``[(function, *args)]`` in threads; their results, or the exception each
    raised, in the order of ``calls``."""
    if not calls:
        return []
    workers = min(len(calls), max_workers)
    # Django's active language is per thread: text made in a worker (a refusal's
    # message) is in the user's language, as it would be in the request's thread.
    language = translation.get_language()

    def run(call):
        with translation.override(language):
            return call[0](*call[1:])

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, call) for call in calls]
    found = []
    for future in futures:
        try:
            found.append(future.result())
        except Exception as exc:
            found.append(exc)
    return found


def raise_first(results):
    """``results`` of call_all when every call succeeded; else the first exception."""
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results
