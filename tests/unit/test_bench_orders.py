"""The pure parts of the cart / checkout benchmark (bench/orders_cases.py, bench/throughput.py,
bench/profile.py): case registration, option parsing, targets, CPU accounting arithmetic."""
from __future__ import annotations

import os

import pytest

from bench.cases import CASES, DERIVED
from bench.profile import _label
from bench.run import order_targets, parse_args
from bench.throughput import HOT, MANY, CpuWatch, _process_seconds

ORDER_CASES = {"cart_add", "cart_add_guest", "cart_view", "checkout", "order_detail", "order_history"}


def test_order_cases_are_registered_after_the_others() -> None:
    names = list(CASES)
    assert ORDER_CASES <= set(names)
    assert names.index("profile") < names.index("cart_add")  # catalogue and accounts keep their places
    assert CASES["checkout"].build.__module__ == "bench.orders_cases"


def test_checkout_target_is_derived_only_when_checkout_ran() -> None:
    derived: dict[str, object] = {}
    for fn in DERIVED:
        derived.update(fn({"checkout": {"p50_ms": 29.9}}))
    assert derived["checkout_p50_under_30ms"] is True
    derived = {}
    for fn in DERIVED:
        derived.update(fn({"checkout": {"p50_ms": 30.0}}))
    assert derived["checkout_p50_under_30ms"] is False
    for fn in DERIVED:
        assert "checkout_p50_under_30ms" not in fn({"health": {"p50_ms": 1.0}})


def test_throughput_runs_are_selectable_and_sized_from_the_command_line() -> None:
    args = parse_args(["--only", HOT, "--only", MANY, "--processes", "3", "--hot-processes", "5",
                       "--throughput-seconds", "2.5"])
    assert args.only == [HOT, MANY]
    assert (args.processes, args.hot_processes, args.throughput_seconds) == (3, 5, 2.5)
    with pytest.raises(SystemExit):
        parse_args(["--only", "checkout_on_the_moon"])


def test_order_targets_report_met_and_missed() -> None:
    results = {"cases": {"checkout": {"p50_ms": 41.0}},
               "throughput": {MANY: {"checkouts_per_second": 120.4}, HOT: {"checkouts_per_second": 80.0}}}
    targets = order_targets(results)
    assert targets["checkout_p50_ms"] == {"target_ms": 30, "p50_ms": 41.0, "met": False}
    assert targets["checkouts_per_second_many_products"] == {"target": 100, "result": 120.4, "met": True}
    assert order_targets({"cases": {}}) == {}
    assert "checkout_p50_ms" not in order_targets({"cases": {"checkout": {"error": "boom"}}})


def test_cpu_difference_is_per_window() -> None:
    before = {"machine": (1_000, 4_000), "services": {"mariadb": 10.0, "redis": 1.0}}
    after = {"machine": (1_900, 5_000), "services": {"mariadb": 13.5, "redis": 1.25}}
    diff = CpuWatch.difference(before, after, wall=5.0)
    assert diff["machine_busy_pct"] == 90.0
    assert diff["service_seconds"] == {"mariadb": 3.5, "redis": 0.25}
    assert diff["wall_seconds"] == 5.0
    assert "machine_busy_pct" not in CpuWatch.difference({**before, "machine": None}, after, wall=1.0)


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="Linux /proc only")
def test_process_cpu_seconds_come_from_proc() -> None:
    spent = _process_seconds(os.getpid())
    assert spent is not None and spent >= 0
    assert _process_seconds(2**22 + 12345) is None  # beyond pid_max: no such process


def test_profile_labels_tell_statements_apart() -> None:
    assert _label("UPDATE product_variations FORCE INDEX (PRIMARY) SET reserved = reserved + %s") \
        == "UPDATE product_variations"
    assert _label("  SELECT id,\n user_id FROM orders WHERE tenant_id = %s") == "SELECT … FROM orders"
    assert _label("INSERT INTO orders (a) VALUES (%s)") == "INSERT orders"
    assert _label("DELETE FROM cart_items WHERE tenant_id = %s") == "DELETE … FROM cart_items"
    assert _label("SELECT a, (SELECT b FROM product_images i WHERE x) AS c FROM cart_items ci") \
        == "SELECT … FROM cart_items"
