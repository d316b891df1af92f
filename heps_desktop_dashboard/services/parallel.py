"""Independent reads in parallel threads (each OpenStack call waits on the network)."""

import concurrent.futures

MAX_WORKERS = 8


def call_all(calls, max_workers=MAX_WORKERS):
    """Run ``[(function, *args)]`` in threads; their results, or the exception each
    raised, in the order of ``calls``."""
    if not calls:
        return []
    workers = min(len(calls), max_workers)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(call[0], *call[1:]) for call in calls]
    found = []
    for future in futures:
        try:
            found.append(future.result())
        except Exception as exc:
            found.append(exc)
    return found
