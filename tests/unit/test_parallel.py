"""services/parallel.py: independent reads in threads, results in order, errors as
values, and the request's language in every worker."""

import threading

from django.utils import translation

from heps_desktop_dashboard.services import parallel


def test_results_in_order_errors_as_values():
    def fail():
        raise ValueError("down")

    found = parallel.call_all([(lambda a, b: a + b, 1, 2), (fail,), (str.upper, "x")])
    assert found[0] == 3 and isinstance(found[1], ValueError) and found[2] == "X"
    assert parallel.call_all([]) == []


def test_workers_speak_the_requests_language():
    seen = []

    def language():
        seen.append(threading.current_thread() is not threading.main_thread())
        return translation.get_language()

    with translation.override("zh-hans"):
        assert parallel.call_all([(language,), (language,)]) == ["zh-hans", "zh-hans"]
    assert all(seen), "the calls ran in worker threads"
