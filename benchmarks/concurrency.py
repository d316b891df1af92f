"""Many users at once: the Desktops list page against Horizon's Instances page.

Each simulated user is a separate Horizon login (its own session and token) that loads
the page ``requests_per_user`` times, all users at once; the same users then load the
other page. Reported per page and number of users: throughput (pages per second over
the whole burst), median and p95 latency, failures. Measured, never asserted.
"""

import concurrent.futures
import statistics
import threading
import time

import common


def _p95(values):
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)] if ordered else None


def _burst(sessions, url, expect, requests_per_user):
    barrier = threading.Barrier(len(sessions))

    def user(session):
        barrier.wait()
        times, failures = [], 0
        for _ in range(requests_per_user):
            try:
                times.append(common.timed_get(session, url, expect)[0])
            except Exception:
                failures += 1
        return times, failures

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        results = list(pool.map(user, sessions))
    wall = time.perf_counter() - start
    times = [t for found, _f in results for t in found]
    failures = sum(f for _t, f in results)
    return {"requests": len(times) + failures, "failures": failures, "wall_s": wall,
            "throughput_per_s": len(times) / wall if wall else 0.0,
            "median_s": statistics.median(times) if times else None,
            "p95_s": _p95(times)}


def run(base, users_list=(20, 50), requests_per_user=2, servers=10):
    """Rows {users, page, throughput_per_s, median_s, p95_s, failures, ...}."""
    rows = []
    pages = {"desktops": (f"{base}/project/desktops/", "bench-desktop"),
             "instances": (f"{base}/project/instances/", "bench-desktop")}
    sessions = []
    for users in users_list:
        while len(sessions) < users:
            sessions.append(common.retried(common.login, base))
        for name, (url, expect) in pages.items():
            common.steady_get(sessions[0], url, expect)  # warm
            row = _burst(sessions[:users], url, expect, requests_per_user)
            row.update(users=users, page=name, servers=servers,
                       requests_per_user=requests_per_user)
            print(f"  {users} users, {name}: {row['throughput_per_s']:.2f} pages/s, "
                  f"p95 {row['p95_s']:.2f} s, {row['failures']} failed", flush=True)
            rows.append(row)
    return rows
