"""What a person reads about records about people: an import's outcome and the opt-out list's status.

Counts, columns and dates only: never an identifier, never which records the opt-out excluded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from totalplace.datasets.records import RecordsResult
    from totalplace.engines.people.optout import OptOutStatus


def records_result_view(result: RecordsResult) -> dict[str, Any]:
    """An import's outcome as the page and its twin show it, with a sentence for each thing it did."""
    shown = result.to_dict()
    opt = shown["opt_out"]
    lines = [
        f"batch {result.batch.id}: {result.records_kept:,} of {shown['records_read']:,} records kept, "
        f"pseudonymised for {result.provenance.purpose} (key generation {result.provenance.key_generation})"
    ]
    if shown["dropped"]:
        lines.append(f"dropped: {', '.join(shown['dropped'])} (not in the agreement's flow)")
    if opt.get("applied"):
        lines.append(
            f"national data opt-out (list of {opt['list_date']}): {opt['excluded']:,} records excluded, "
            f"{opt['excluded_not_on_list']:,} not on the list and {opt['excluded_without_nhs_number']:,} "
            "without an NHS number"
        )
    else:
        exemption = f"; exemption relied on: {opt['exemption']}" if opt.get("exemption") else ""
        lines.append(f"national data opt-out not applied: {opt.get('reason', '')}{exemption}")
    return {**shown, "lines": lines}


def optout_view(status: OptOutStatus) -> dict[str, Any]:
    """The opt-out list's status: its date, expiry and count, and what to do when it is not current."""
    shown = status.to_dict()
    if not status.held:
        shown["summary"] = "No opt-out list has been imported: NHS flows covered by the opt-out are refused."
    elif status.current:
        shown["summary"] = (
            f"The list of {status.list_date} ({status.entries:,} NHS numbers that may be used) is current "
            f"until {status.expires}."
        )
    else:
        shown["summary"] = (
            f"The list of {status.list_date} is no longer current (it expires {status.expires}, or was kept "
            "under an earlier opt-out key): import a current response of the opt-out check."
        )
    return shown
