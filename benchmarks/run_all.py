"""``make bench``: every benchmark against the dev cloud, results in bench-results/.

    .venv/bin/python benchmarks/run_all.py [--sizes 10,100,500] [--rounds 3]
        [--users 20,50] [--c2p-rounds 3] [--only list,c2p,users,fidelity]
        [--horizon URL] [--out bench-results] [--keep]

In one run, each with its baseline measured in the same run (nothing is asserted):
  (a) list page at N desktops: Desktops page vs Horizon's Instances page vs the raw
      nova list call (list_page.py);
  (b) click-to-pixels: Launch in the panel → console pixels vs bare nova
      (click_to_pixels.py);
  (c) 20 and 50 concurrent users (separate logins) on the Desktops page vs the
      Instances page: throughput and p95 (concurrency.py);
  (d) display fidelity (engineer D's display_fidelity.py ``run(results_dir)``, when
      present).
Writes results.json, results.md (the tables) and PNG plots; prints the tables. The
``bench-*`` servers are deleted at the end.
"""

import argparse
import datetime
import importlib
import inspect
import json
import os
import pathlib
import platform
import signal
import sys
import traceback

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import click_to_pixels  # noqa: E402
import common  # noqa: E402
import concurrency  # noqa: E402
import list_page  # noqa: E402
import report  # noqa: E402


def _ints(text):
    return [int(v) for v in text.split(",") if v.strip()]


def display_fidelity(out, base):
    """Rows of engineer D's benchmark, or a note why there are none."""
    try:
        module = importlib.import_module("display_fidelity")
    except ImportError as exc:
        return [], f"display_fidelity.py not available ({exc}); skipped"
    run = getattr(module, "run", None)
    if run is None:
        return [], "display_fidelity.py has no run(results_dir) yet; skipped"
    kwargs = {"horizon_url": base} if "horizon_url" in inspect.signature(run).parameters \
        else {}
    try:
        return list(run(out, **kwargs) or []), ""
    except Exception as exc:
        traceback.print_exc()
        return [], f"display fidelity failed: {type(exc).__name__}: {exc}"


def save(results, out):
    """results.json and results.md so far (a run cut short keeps what it measured)."""
    results["meta"]["finished"] = datetime.datetime.now(datetime.UTC).isoformat(
        timespec="seconds")
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return report.write(results, out)


def _step(results, key, title, call, out):
    print(f"\n== {title}", flush=True)
    try:
        results[key] = call()
    except Exception as exc:
        traceback.print_exc()
        results.setdefault("notes", []).append(f"{title}: failed ({type(exc).__name__}: "
                                               f"{exc})")
    save(results, out)


def measure(args, results, base, user, flavor, net, image):
    # Only the list page needs the bigger N; click-to-pixels and the concurrent users
    # run at the smallest.
    sizes = sorted(args.sizes) if "list" in args.only else sorted(args.sizes)[:1]
    rows = results["list_page"] = []
    for index, count in enumerate(sizes):
        try:
            common.retried(common.ensure_servers, user, count, flavor, net, image, tries=3)
        except Exception as exc:
            traceback.print_exc()
            results["notes"].append(f"{count} bench desktops could not be made ({exc})")
            break
        if "list" in args.only:
            print(f"\n== list page, N = {count}", flush=True)
            try:
                row = list_page.measure(base, common.login(base), user, count, args.rounds)
                list_page.report(row)
                rows.append(row)
            except Exception as exc:
                traceback.print_exc()
                results["notes"].append(f"list page N={count}: failed ({exc})")
            save(results, args.out)
        if index > 0:
            continue
        # At the smallest N: a user's ordinary project page.
        if "c2p" in args.only:
            _step(results, "click_to_pixels", "click-to-pixels: panel vs bare nova",
                  lambda: click_to_pixels.run(base, user, flavor, net, image,
                                              args.c2p_rounds), args.out)
        if "users" in args.only:
            _step(results, "concurrency", f"concurrent users, N = {count}",
                  lambda count=count: concurrency.run(base, args.users,
                                                      args.requests_per_user, count),
                  args.out)
        # before the bigger N, whose hundreds of desktops take the longest to make
        if "fidelity" in args.only:
            print("\n== display fidelity", flush=True)
            results["display_fidelity"], note = display_fidelity(args.out, base)
            if note:
                results["notes"].append(note)
            save(results, args.out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_ints, default=[10, 100, 500])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--users", type=_ints, default=[20, 50])
    parser.add_argument("--requests-per-user", type=int, default=2)
    parser.add_argument("--c2p-rounds", type=int, default=3)
    parser.add_argument("--horizon", help="URL of a running Horizon (default: start one)")
    parser.add_argument("--out", type=pathlib.Path, default=common.REPO / "bench-results")
    parser.add_argument("--keep", action="store_true", help="keep the bench servers")
    parser.add_argument("--only", type=lambda text: set(text.split(",")),
                        default={"list", "c2p", "users", "fidelity"},
                        help="some of list,c2p,users,fidelity (default: all)")
    args = parser.parse_args()
    # Ctrl-C or a kill (also of a run in the background, where SIGINT is ignored) still
    # stops Horizon, deletes the bench servers and writes what was measured.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"meta": {"started": datetime.datetime.now(datetime.UTC).isoformat(
        timespec="seconds"), "cpus": os.cpu_count(), "python": platform.python_version(),
        "sizes": args.sizes, "rounds": args.rounds, "users": args.users},
        "notes": []}
    _admin, user, flavor, net, image = common.setup()
    proc = None if args.horizon else common.start_horizon()
    base = args.horizon or f"http://127.0.0.1:{common.PORT}"
    try:
        measure(args, results, base, user, flavor, net, image)
    except (KeyboardInterrupt, SystemExit):
        # stopped by hand or by a kill: the tables say the run is incomplete
        results["notes"].append("the run was stopped before it finished; what it measured "
                                "until then is here")
        raise
    finally:
        common.stop_horizon(proc)
        if not args.keep:
            print("\n== deleting the bench servers", flush=True)
            try:
                if not common.delete_servers(user):
                    results["notes"].append("some bench-* servers were still being deleted")
            except Exception as exc:
                results["notes"].append(f"deleting the bench servers failed ({exc}); "
                                        "run benchmarks/list_page.py --cleanup")
        print("\n" + save(results, args.out))


if __name__ == "__main__":
    sys.exit(main())
