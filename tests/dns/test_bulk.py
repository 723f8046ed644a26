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


def test_what_a_reader_made_is_counted_old_without_a_collection() -> None:
    gc.collect()
    with collector_paused():
        made = [[number] for number in range(5000)]
    oldest = {id(item) for item in gc.get_objects(generation=2)}
    assert gc.isenabled()
    assert all(id(item) in oldest for item in made)
    assert gc.get_freeze_count() == 0


def test_objects_frozen_by_the_process_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            made = [[number] for number in range(100)]
        assert gc.get_freeze_count() == frozen
        assert made
    finally:
        gc.unfreeze()
