"""A pooled fund: its agreement (each version in force from its date) and the place's partners it names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import yaml
from sqlalchemy import Connection

from totalplace.datasets.safe_yaml import decode
from totalplace.engines.pool import access
from totalplace.engines.pool.agreement import Agreement, year_bounds
from totalplace.engines.pool.files import AGREEMENT_INVALID, agreement_json, load_agreement, stored_agreement
from totalplace.engines.pool.variation import apply_variation, load_variation
from totalplace.errors import AgreementInvalidError, InvalidInputError, RowProblem, TotalplaceError
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.store import pools as store
from totalplace.store.partners import list_partners


@dataclass(frozen=True)
class Fund:
    """A pool with every version of its agreement."""

    pool: store.PoolRow
    versions: tuple[store.VersionRow, ...]

    @property
    def name(self) -> str:
        """The pool's short name."""
        return self.pool.name

    @property
    def id(self) -> int:
        """The pool's id in the store."""
        return self.pool.id

    @property
    def agreement(self) -> Agreement:
        """The newest version of the agreement."""
        return _validated(self.versions[-1], self.name)

    def agreement_on(self, day: date) -> Agreement:
        """The version of the agreement in force on ``day`` (the first version for days before it)."""
        current = self.versions[0]
        for version in self.versions:
            if version.effective_from <= day:
                current = version
        return _validated(current, self.name)

    def agreement_for_year(self, year: str) -> Agreement:
        """The agreement in force at the end of a financial year: the one its settlement applies."""
        return self.agreement_on(year_bounds(year)[1])

    def version_on(self, day: date) -> int:
        """The number of the version in force on ``day`` (1 for days before the first)."""
        return max((v.version for v in self.versions if v.effective_from <= day), default=1)

    def require_year(self, year: str) -> None:
        """Refuse a financial year outside the pool's term (InvalidInputError naming the term)."""
        years = self.agreement.years
        if year not in years:
            raise InvalidInputError(
                f"{year!r} is not in the pool's term", hint=f"years are {years[0]} to {years[-1]}"
            )


_VALIDATED: dict[str, Agreement] = {}


def _validated(version: store.VersionRow, name: str) -> Agreement:
    """A stored version as an Agreement, checked once per process (versions never change: keyed by hash)."""
    if version.sha256 not in _VALIDATED:
        if len(_VALIDATED) > 256:
            _VALIDATED.clear()
        _VALIDATED[version.sha256] = stored_agreement(version.agreement_json, name)
    return _VALIDATED[version.sha256]


def open_fund(conn: Connection, name: str) -> Fund:
    """The pool called ``name`` with its versions."""
    pool = store.pool_by_name(conn, name)
    return Fund(pool, tuple(store.versions(conn, pool.id)))


def list_funds(conn: Connection) -> list[Fund]:
    """Every pool of the place."""
    return [Fund(p, tuple(store.versions(conn, p.id))) for p in store.list_pools(conn)]


def readable_funds(conn: Connection, principal: Principal) -> list[Fund]:
    """The pools ``principal`` may read (pool.read): those of its partners, or all for a place-wide role."""
    shown = []
    for fund in list_funds(conn):
        try:
            access.sight(conn, fund, principal)
        except TotalplaceError:
            continue
        shown.append(fund)
    return shown


def create_fund(place: Place, source: str | bytes, file: str, *, principal: Principal) -> Fund:
    """Create a pool from agreement YAML (pool.create); every partner it names must be a partner of the
    place."""
    principal.require("pool.create")
    agreement = load_agreement(source, file)  # refuses undecodable bytes too, as an invalid agreement
    text = decode(source, file)
    with place.begin() as conn:
        _check_partners(conn, agreement, file)
        store.create_pool(
            conn,
            name=agreement.name,
            title=agreement.title,
            budget_type=agreement.budget_type,
            agreement_json=agreement_json(agreement),
            source_yaml=text,
            effective_from=year_bounds(agreement.start_year)[0],
            actor=principal.username,
        )
        return open_fund(conn, agreement.name)


def vary_fund(place: Place, name: str, source: str | bytes, file: str, *, principal: Principal) -> Fund:
    """Add a version of the pool's agreement from a variation file (pool.manage); earlier versions stay as
    they were."""
    with place.begin() as conn:
        fund = open_fund(conn, name)
        access.require(conn, fund, principal, "pool.manage")
        variation = load_variation(source, file)
        text = decode(source, file)
        varied = apply_variation(fund.agreement, variation, file)
        if varied.name != fund.name:
            raise AgreementInvalidError(
                file,
                [
                    RowProblem(
                        AGREEMENT_INVALID, file, 0, "name", varied.name, "a variation cannot rename the pool"
                    )
                ],
            )
        _check_partners(conn, varied, file)
        store.add_version(
            conn,
            fund.pool,
            agreement_json=agreement_json(varied),
            source_yaml=text,
            effective_from=variation.effective,
            reason=variation.reason,
            actor=principal.username,
        )
        return open_fund(conn, name)


def revise_fund(
    place: Place, name: str, text: str, *, effective: date, reason: str, principal: Principal
) -> Fund:
    """Add a version from a whole edited agreement (as the web app's editor sends it), in force from
    ``effective`` (pool.manage); like any variation it is dated, gives its reason, and leaves earlier versions
    as they were.
    """
    with place.read() as conn:
        access.require(conn, open_fund(conn, name), principal, "pool.manage")
    agreement = load_agreement(text, "agreement.yaml")
    if not reason.strip():
        raise InvalidInputError("a revision needs a reason", hint="say why the agreement changes")
    with place.begin() as conn:
        fund = open_fund(conn, name)
        access.require(conn, fund, principal, "pool.manage")
        if agreement.name != fund.name:
            problem = RowProblem(
                AGREEMENT_INVALID,
                "agreement.yaml",
                1,
                "name",
                agreement.name,
                "a revision cannot rename the pool",
            )
            raise AgreementInvalidError("agreement.yaml", [problem])
        _check_partners(conn, agreement, "agreement.yaml")
        store.add_version(
            conn,
            fund.pool,
            agreement_json=agreement_json(agreement),
            source_yaml=text,
            effective_from=effective,
            reason=reason.strip(),
            actor=principal.username,
        )
        return open_fund(conn, name)


def agreement_yaml(fund: Fund) -> str:
    """The newest version of the agreement as YAML, ready to edit."""
    return yaml.safe_dump(
        fund.agreement.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100
    )


def _check_partners(conn: Connection, agreement: Agreement, file: str) -> None:
    known = {p.name for p in list_partners(conn)}
    missing = [p for p in agreement.partners if p not in known]
    if missing:
        raise AgreementInvalidError(
            file,
            [
                RowProblem(
                    AGREEMENT_INVALID,
                    file,
                    0,
                    "partners",
                    p,
                    f"{p!r} is not a partner of the place; add it with `totalplace partner add`",
                )
                for p in missing
            ],
        )
