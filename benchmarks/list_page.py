"""How much faster is the Desktops list than Horizon's Instances page on the same cloud?

Measured, not asserted: both pages are fetched alternately, through real Horizon (uWSGI,
DEBUG off) against the dev cloud, listing the same N servers on one page, with
baselines measured in the same run:
  - the raw nova list call the Desktops page makes (the API floor),
  - an empty-page request (Horizon's fixed cost per page).

    .venv/bin/python benchmarks/list_page.py [--servers 200] [--rounds 5] [--cleanup]

The bench project, its tiny profile and its ``bench-desktop-*`` servers: common.py.
``make bench`` (run_all.py) runs this at N = 10, 100 and 500.
"""

import argparse
import statistics
import sys
import time
import urllib.parse

import common


def pages(base):
    return {"instances": (f"{base}/project/instances/", "bench-desktop"),
            "desktops": (f"{base}/project/desktops/", "bench-desktop"),
            "empty page": (f"{base}/project/api_access/", "API Access")}


def measure(base, session, conn, count, rounds):
    """One row of results for ``count`` servers on one page (medians of ``rounds``)."""
    # Both pages list every server on one page.
    session.cookies.set("API_RESULT_PAGE_SIZE", str(count + 1),
                        domain=urllib.parse.urlparse(base).hostname)
    urls = pages(base)
    for url, expect in urls.values():  # warm caches, compressor, discovery
        common.timed_get(session, url, expect)
    times = {name: [] for name in urls}
    sizes = {}
    raw = []
    for _ in range(rounds):
        for name, (url, expect) in urls.items():
            elapsed, sizes[name] = common.steady_get(session, url, expect)
            times[name].append(elapsed)
        start = time.perf_counter()
        common.retried(lambda: list(conn.compute.servers(tags="heps-desktop")))
        raw.append(time.perf_counter() - start)
    med = {name: statistics.median(values) for name, values in times.items()}
    raw_med = statistics.median(raw)

    def per_row(name):
        return (sizes[name] - sizes["empty page"]) / count / 1024

    return {
        "servers": count, "rounds": rounds,
        "desktops_s": med["desktops"], "instances_s": med["instances"],
        "raw_nova_s": raw_med, "empty_page_s": med["empty page"],
        "instances_over_desktops": med["instances"] / med["desktops"],
        "desktops_over_raw_nova": med["desktops"] / raw_med,
        "desktops_kb_per_row": per_row("desktops"),
        "instances_kb_per_row": per_row("instances"),
    }


def report(row):
    print(f"\n{row['servers']} servers on one page, {row['rounds']} rounds, medians:")
    print(f"  Desktops page   {row['desktops_s']:7.3f} s")
    print(f"  Instances page  {row['instances_s']:7.3f} s")
    print(f"  empty page      {row['empty_page_s']:7.3f} s")
    print(f"  raw nova list   {row['raw_nova_s']:7.3f} s (baseline)")
    print(f"  Instances / Desktops = {row['instances_over_desktops']:.2f}x, "
          f"Desktops / raw nova list = {row['desktops_over_raw_nova']:.2f}x; HTML per row "
          f"{row['desktops_kb_per_row']:.1f} KB (Instances {row['instances_kb_per_row']:.1f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--horizon", help="URL of a running Horizon (default: start one)")
    parser.add_argument("--cleanup", action="store_true", help="delete the bench servers")
    args = parser.parse_args()
    _admin, user, flavor, net, image = common.setup()
    if args.cleanup:
        common.delete_servers(user)
        print("bench servers deleted")
        return
    common.ensure_servers(user, args.servers, flavor, net, image)
    proc = None if args.horizon else common.start_horizon()
    base = args.horizon or f"http://127.0.0.1:{common.PORT}"
    try:
        report(measure(base, common.login(base), user, args.servers, args.rounds))
    finally:
        common.stop_horizon(proc)


if __name__ == "__main__":
    sys.exit(main())
