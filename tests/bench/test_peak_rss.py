"""The render bench's peak memory figure is the pool process's own, not its parent's."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from bench.cold_build import peak_rss_mb


def test_a_spawned_process_reports_its_own_peak_not_its_parents() -> None:
    ballast = bytearray(400 * 1024 * 1024)  # the parent touches 400 MB before spawning
    ballast[::4096] = b"x" * len(ballast[::4096])
    assert peak_rss_mb() > 400
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        child = pool.submit(peak_rss_mb).result()
    del ballast
    # ru_maxrss would say > 400 here: Linux carries the forked copy's peak across exec.
    assert 5 < child < 200, child
