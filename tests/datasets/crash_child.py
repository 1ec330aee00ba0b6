"""The child of the crash test: imports files until it is killed, reporting each acknowledged batch."""

from __future__ import annotations

import os
from pathlib import Path

from totalplace.datasets.importer import ImportRequest, import_file
from totalplace.place import Place


def import_until_killed(place_dir: str, ack_file: str, seed: int) -> None:
    """Import distinct small files forever; after each returns, append its batch id and rows to ``ack_file``."""
    place = Place.open(place_dir)
    n = 0
    while True:
        n += 1
        rows = "".join(f"0{1 + (i % 9)}/04/2024,Supplier {seed}-{n}-{i},{i}.{n % 100:02d},x\n" for i in range(200))
        data = ("Payment Date,Supplier Name,Amount,Description\n" + rows).encode()
        result = import_file(place, data, ImportRequest("payments", "Council", "crash"), source_name=f"f{seed}-{n}.csv")
        line = f"{result.batch.id} {result.batch.row_count} {result.batch.totals['amount_pence']}\n".encode()
        fd = os.open(Path(ack_file), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, line)
        os.fsync(fd)
        os.close(fd)
