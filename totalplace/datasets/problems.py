"""Stable codes for problems found in imported files (listed in docs/errors.md).

Codes TP51x are about the file as a whole, TP52x about its layout, TP53x and TP54x about values in rows;
TP551 to TP569 are the bounds that keep hostile values out (amounts, numbers, nesting, repeated keys);
TP570 to TP579 are identifiers in records about people.
"""

from __future__ import annotations

from typing import Final, NoReturn

from totalplace.errors import ImportRejectedError, RowProblem

FILE_TOO_LARGE: Final = "TP510"
FILE_EMPTY: Final = "TP511"
NOT_A_TABLE: Final = "TP512"
BINARY_FILE: Final = "TP513"
ENCODING: Final = "TP514"
TOO_MANY_COLUMNS: Final = "TP515"
FIELD_TOO_LARGE: Final = "TP516"
TOO_MANY_ROWS: Final = "TP517"
ZIP_UNSAFE: Final = "TP518"
ZIP_CONTENTS: Final = "TP519"
MISSING_COLUMN: Final = "TP520"
NO_HEADER: Final = "TP521"
DUPLICATE_COLUMN: Final = "TP522"
REPEATED_HEADER: Final = "TP523"
RAGGED_ROW: Final = "TP524"
NO_DATA_ROWS: Final = "TP525"
BAD_AMOUNT: Final = "TP531"
BAD_DATE: Final = "TP532"
BAD_INTEGER: Final = "TP533"
MISSING_VALUE: Final = "TP534"
BAD_CODE: Final = "TP535"
TOTALS_MISMATCH: Final = "TP536"
BAD_GEOMETRY: Final = "TP537"
DUPLICATE_KEY: Final = "TP538"
UNSAFE_XML: Final = "TP539"
BAD_NUMBER: Final = "TP540"
UNKNOWN_AREA: Final = "TP541"
MISSING_CATEGORY: Final = "TP542"
NEGATIVE_COUNT: Final = "TP543"
OUTSIDE_COUNTRY: Final = "TP544"
WRONG_COORDINATES: Final = "TP545"
UNKNOWN_POSTCODE: Final = "TP546"
NO_LOCATION: Final = "TP547"
COUNT_ABOVE_DENOMINATOR: Final = "TP549"
BAD_PERIOD: Final = "TP550"
AMOUNT_OUT_OF_RANGE: Final = "TP551"
TOTAL_OUT_OF_RANGE: Final = "TP552"
NUMBER_OUT_OF_RANGE: Final = "TP553"
REPEATED_KEY: Final = "TP554"
TOO_DEEP: Final = "TP555"
TOO_LARGE_DOCUMENT: Final = "TP556"
TOO_MANY_VERTICES: Final = "TP557"
WRONG_CURRENCY: Final = "TP558"
NOT_YAML: Final = "TP559"
# Identifiers in records about people (TP570-TP579): a problem never repeats the value, which may be a
# real person's identifier mistyped.
BAD_NHS_NUMBER: Final = "TP570"
BAD_POSTCODE: Final = "TP571"
BAD_BIRTH_DATE: Final = "TP572"
BAD_OPT_OUT_LINE: Final = "TP573"


def reject(
    file: str, code: str, message: str, *, row: int = 0, column: str = "", value: str = ""
) -> NoReturn:
    """Refuse a whole file with one problem."""
    raise ImportRejectedError(file, [RowProblem(code, file, row, column, value[:200], message)])
