"""The child of the crash test: imports files until it is killed, reporting each acknowledged batch."""

from __future__ import annotations

import io
import os
from multiprocessing.synchronize import Event
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.governance.roles import OPERATOR
from totalplace.place import Place

# Warm the imports a first parquet write pulls in lazily, so the forkserver's children start hot.
pq.write_table(pa.table({"warm": [1]}), io.BytesIO())


def import_until_killed(place_dir: str, ack_file: str, seed: int, ready: Event) -> None:
    """Import distinct small files forever; then append its batch id and rows to ``ack_file``."""
    place = Place.open(place_dir)
    ready.set()
    n = 0
    while True:
        n += 1
        rows = "".join(
            f"0{1 + (i % 9)}/04/2024,Supplier {seed}-{n}-{i},{i}.{n % 100:02d},x\n" for i in range(200)
        )
        data = ("Payment Date,Supplier Name,Amount,Description\n" + rows).encode()
        result = import_file(
            place, data, ImportRequest("spend", "Council"), principal=OPERATOR, source_name=f"f{seed}-{n}.csv"
        )
        line = f"{result.batch.id} {result.batch.row_count} {result.batch.totals['amount_pence']}\n".encode()
        fd = os.open(Path(ack_file), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, line)
        os.fsync(fd)
        os.close(fd)
