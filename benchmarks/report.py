"""bench-results/: the markdown tables (results.md) and the PNG plots of a run."""

import pathlib


def _s(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}"


def _list_table(rows):
    lines = ["| N desktops | Desktops page | Instances page | raw nova list | empty page "
             "| Instances / Desktops | Desktops / raw nova | HTML per row (Desktops / "
             "Instances) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['servers']} | {_s(r['desktops_s'])} s | {_s(r['instances_s'])} s "
            f"| {_s(r['raw_nova_s'])} s | {_s(r['empty_page_s'])} s "
            f"| **{_s(r['instances_over_desktops'])}×** | {_s(r['desktops_over_raw_nova'])}× "
            f"| {_s(r['desktops_kb_per_row'], 1)} / {_s(r['instances_kb_per_row'], 1)} KB |")
    return lines


def _c2p_table(c2p):
    return ["| path | click-to-pixels (median) | of which |", "|---|---|---|",
            f"| panel: Launch → Console tab → pixels | {_s(c2p['panel_s'])} s "
            f"| on the Console tab after {_s(c2p['panel_to_console_tab_s'])} s |",
            f"| bare nova: POST /servers → ACTIVE → console URL → noVNC pixels "
            f"| {_s(c2p['bare_s'])} s | ACTIVE after {_s(c2p['bare_to_active_s'])} s |",
            f"| **panel / bare nova** | **{_s(c2p['panel_over_bare'])}×** "
            f"| {c2p['rounds']} rounds each, alternating |"] + _c2p_steps(c2p)


def _c2p_steps(c2p):
    """Where the seconds go (medians from the click, per step), when the run has them."""
    lines = []
    for title, key in (("panel", "panel_steps"), ("bare nova", "bare_steps")):
        if c2p.get(key):
            lines += ["", f"Steps of the {title} path (median seconds from the click):", "",
                      "| step | at |", "|---|---|"]
            lines += [f"| {label} | {_s(seconds)} s |" for label, seconds in c2p[key]]
    return lines


def _concurrency_table(rows):
    lines = ["| users | page | throughput | median | p95 | failed |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['users']} | {r['page']} | {_s(r['throughput_per_s'])} pages/s "
                     f"| {_s(r['median_s'])} s | {_s(r['p95_s'])} s "
                     f"| {r['failures']} of {r['requests']} |")
    by = {(r["users"], r["page"]): r for r in rows}
    for users in sorted({r["users"] for r in rows}):
        d, i = by.get((users, "desktops")), by.get((users, "instances"))
        if d and i and i["throughput_per_s"] and d["p95_s"]:
            lines.append(f"| {users} | **Desktops / Instances** | "
                         f"**{_s(d['throughput_per_s'] / i['throughput_per_s'])}×** "
                         f"throughput | | p95 {_s(i['p95_s'] / d['p95_s'])}× lower | |")
    return lines


def _fidelity_table(rows):
    keys = [k for k in ("setting", "metric", "value", "unit") if any(k in r for r in rows)]
    keys = keys or sorted({k for r in rows for k in r})
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        cells = []
        for k in keys:
            value = r.get(k, "")
            cells.append(f"{value:.4g}" if isinstance(value, float) else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def markdown(results):
    meta = results["meta"]
    out = [f"# make bench — {meta['started']} ({meta['cpus']} CPUs, dev cloud)", ""]
    if results.get("list_page"):
        out += ["## List page (one page, all desktops on it; medians)", ""]
        out += _list_table(results["list_page"]) + ["", "![list page](list_page.png)", ""]
    if results.get("click_to_pixels"):
        out += ["## Click-to-pixels", ""] + _c2p_table(results["click_to_pixels"])
        out += ["", "![click to pixels](click_to_pixels.png)", ""]
    if results.get("concurrency"):
        n = results["concurrency"][0]["servers"]
        out += [f"## Concurrent users (separate logins, {n} desktops on the page)", ""]
        out += _concurrency_table(results["concurrency"])
        out += ["", "![concurrency](concurrency.png)", ""]
    if results.get("display_fidelity"):
        out += ["## Display fidelity", ""] + _fidelity_table(results["display_fidelity"])
        out += [""]
    if results.get("notes"):
        out += ["## Notes", ""] + [f"- {note}" for note in results["notes"]] + [""]
    return "\n".join(out)


def plots(results, out):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    rows = results.get("list_page") or []
    if rows:
        fig, ax = plt.subplots(figsize=(6, 4))
        n = [r["servers"] for r in rows]
        for key, label in (("instances_s", "Instances page"), ("desktops_s", "Desktops page"),
                           ("raw_nova_s", "raw nova list")):
            ax.plot(n, [r[key] for r in rows], marker="o", label=label)
        ax.set(xlabel="desktops on the page", ylabel="seconds (median)", xscale="log",
               title="List page")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "list_page.png", dpi=100)
        plt.close(fig)
    c2p = results.get("click_to_pixels")
    if c2p:
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.barh(["bare nova", "panel"], [c2p["bare_s"], c2p["panel_s"]],
                color=["#999999", "#1f77b4"])
        ax.set(xlabel="seconds from Launch to console pixels (median)",
               title=f"Click-to-pixels: panel / bare nova = {c2p['panel_over_bare']:.2f}×")
        fig.tight_layout()
        fig.savefig(out / "click_to_pixels.png", dpi=100)
        plt.close(fig)
    conc = results.get("concurrency") or []
    if conc:
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
        users = sorted({r["users"] for r in conc})
        width = 0.38
        for offset, page in ((-width / 2, "desktops"), (width / 2, "instances")):
            found = {r["users"]: r for r in conc if r["page"] == page}
            xs = [i + offset for i in range(len(users))]
            left.bar(xs, [found[u]["throughput_per_s"] for u in users], width, label=page)
            right.bar(xs, [found[u]["p95_s"] or 0 for u in users], width, label=page)
        for ax, title in ((left, "throughput (pages/s)"), (right, "p95 latency (s)")):
            ax.set_xticks(range(len(users)), [f"{u} users" for u in users])
            ax.set_title(title)
            ax.legend()
        fig.tight_layout()
        fig.savefig(out / "concurrency.png", dpi=100)
        plt.close(fig)


def write(results, out):
    out = pathlib.Path(out)
    text = markdown(results)
    (out / "results.md").write_text(text + "\n")
    try:
        plots(results, out)
    except ImportError as exc:
        text += f"\n(no plots: {exc}; make bench installs matplotlib)"
    return text
