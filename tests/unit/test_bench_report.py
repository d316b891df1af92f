"""make bench's report (benchmarks/report.py): tables and plots from a run's results, and
the launch phases' wording it relies on staying put. No cloud, no time measured."""

import importlib.util
import json
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def _report():
    spec = importlib.util.spec_from_file_location("bench_report",
                                                  REPO / "benchmarks" / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RESULTS = {
    "meta": {"started": "2026-11-29T06:00:00+00:00", "cpus": 2},
    "notes": ["display fidelity left out"],
    "list_page": [{"servers": n, "rounds": 3, "desktops_s": 1.0 + n / 500,
                   "instances_s": 4.0 + n / 50, "raw_nova_s": 0.5 + n / 600,
                   "empty_page_s": 0.4, "instances_over_desktops": 3.5,
                   "desktops_over_raw_nova": 1.2, "desktops_kb_per_row": 3.5,
                   "instances_kb_per_row": 9.0} for n in (10, 100, 500)],
    "click_to_pixels": {"rounds": 3, "panel_s": 4.0, "bare_s": 3.4,
                        "panel_to_console_tab_s": 1.5, "bare_to_active_s": 2.0,
                        "panel_over_bare": 4.0 / 3.4,
                        "panel_steps": [["Launch POST answered", 0.4], ["first pixels", 4.0]],
                        "bare_steps": [["ACTIVE", 2.0], ["first pixels", 3.4]]},
    "concurrency": [{"users": u, "page": p, "servers": 10, "throughput_per_s": t,
                     "median_s": 1.0, "p95_s": p95, "failures": 0, "requests": 2 * u}
                    for u in (20, 50)
                    for p, t, p95 in (("desktops", 2.0, 3.0), ("instances", 0.5, 9.0))],
    "display_fidelity": [{"setting": "lossless", "metric": "differing pixels",
                          "value": 0, "unit": "px"}],
}


def test_markdown_has_every_table_and_the_ratios():
    text = _report().markdown(RESULTS)
    assert "| 500 | 2.00 s | 14.00 s |" in text
    assert "**panel / bare nova** | **1.18×**" in text
    assert "| Launch POST answered | 0.40 s |" in text and "| ACTIVE | 2.00 s |" in text
    assert "| 50 | **Desktops / Instances** | **4.00×** throughput | | p95 3.00× lower" in text
    assert "| lossless | differing pixels | 0 | px |" in text
    assert "- display fidelity left out" in text


def test_write_makes_the_markdown_and_the_plots(tmp_path):
    pytest.importorskip("matplotlib")
    _report().write(RESULTS, tmp_path)
    assert "Click-to-pixels" in (tmp_path / "results.md").read_text()
    for name in ("list_page.png", "click_to_pixels.png", "concurrency.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")


def test_a_run_cut_short_still_reports_what_it_measured(tmp_path):
    partial = {"meta": RESULTS["meta"], "notes": [], "list_page": RESULTS["list_page"][:1]}
    text = _report().markdown(json.loads(json.dumps(partial)))
    assert "| 10 |" in text
    assert "Click-to-pixels" not in text
