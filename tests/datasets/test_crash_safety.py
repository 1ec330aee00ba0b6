"""SIGKILL during imports, 200 times: the store stays sound and no acknowledged or half batch is wrong."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.datasets.crash_child import import_until_killed
from totalplace.integrity import check_place
from totalplace.place import Place
from totalplace.store.catalog import list_batches

KILLS = 200


@pytest.mark.slow
def test_sigkill_mid_import_never_leaves_a_half_batch(sqlite_place: Place, tmp_path: Path) -> None:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.datasets.crash_child"])
    directory = sqlite_place.dir
    sqlite_place.close()
    ack = tmp_path / "acknowledged.txt"
    rng = random.Random(7)
    verified: set[int] = set()
    for kill in range(KILLS):
        ready = context.Event()
        child = context.Process(target=import_until_killed, args=(str(directory), str(ack), kill, ready))
        child.start()
        assert ready.wait(30), "the importing child did not start"
        time.sleep(rng.uniform(0.005, 0.15))
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        with Place.open(directory) as place:  # opening sweeps what the killed import left behind
            report = check_place(place, verify_hashes=False)
            assert report.ok, (kill, report.problems)
            with place.read() as conn:
                batches = {b.id: b for b in list_batches(conn)}
            for line in ack.read_text().splitlines() if ack.exists() else []:
                batch_id, rows, total = (int(v) for v in line.split())
                assert batch_id in batches, f"acknowledged batch {batch_id} was lost"
                assert (batches[batch_id].row_count, batches[batch_id].totals["amount_pence"]) == (
                    rows,
                    total,
                )
            for batch in (b for b in batches.values() if b.id not in verified):
                verified.add(batch.id)
                table = pq.read_table(place.batches_dir / batch.parquet_path)
                assert table.num_rows == batch.row_count
                assert sum(table.column("amount_pence").to_pylist()) == batch.totals["amount_pence"]
            leftovers = [p.name for p in place.batches_dir.iterdir() if p.name.startswith(".tmp-")]
            assert leftovers == []
    with Place.open(directory) as place:
        assert check_place(place, verify_hashes=True).ok
        with place.read() as conn:
            assert len(list_batches(conn)) > KILLS / 4, "the children should have imported many batches"
