"""The collector pause is safe when readers overlap in several threads."""

from __future__ import annotations

import gc
import threading

from dunops.dns.bulk import collector_paused


def test_overlapping_readers_leave_the_collector_as_they_found_it() -> None:
    assert gc.isenabled()
    first_in = threading.Event()
    second_in = threading.Event()
    first_may_leave = threading.Event()

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_in.wait(5)
            first_may_leave.wait(5)

    def second() -> None:
        first_in.wait(5)
        with collector_paused():
            second_in.set()
            first_may_leave.set()
            # The first reader leaves while this one still reads: the collector stays off meanwhile.
            worker.join(5)
            assert not gc.isenabled()

    worker = threading.Thread(target=first)
    worker.start()
    second()
    assert gc.isenabled()
