"""What each of the demo's partners sends: its sources, their column headings, and the events they record.

Each partner writes its extract in its own layout, as real systems do (a social care case system says
"Person ID" and "Start Date", a police records system "Nominal ID" and "Occurred Date", the NHS "NHS Number"
and ISO dates). :data:`SOURCES` maps each source's standard fields (the names the records importer reads,
see ``engines/people/matchkeys.py``) to the partner's headings, so the lead's import can pass the mapping.
Who appears in a source, and how often, is a rough made-up shape for a town of this size, not a statistic.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

COUNCIL, POLICE, NHS = "Northbridge Council", "Northbridge Police", "Northbridge NHS"
DWP, FIRE, VCS = "Northbridge Jobcentre Plus", "Northbridge Fire and Rescue", "Northbridge Community Action"
UK_DATE, ISO_DATE = "%d/%m/%Y", "%Y-%m-%d"

# The agreements the demo's flows come through (the sharing helper's demo agreements use these names):
# every flow for planning (the national data opt-out applies) and for direct care.
PLANNING_AGREEMENT: Final = "northbridge-population-health-planning"
DIRECT_CARE_AGREEMENT: Final = "northbridge-early-help-direct-care"


@dataclass(frozen=True)
class Event:
    """A kind of event a source records, how common it is among the source's events, and its details."""

    type: str
    weight: float
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """One partner's flow of records about people.

    ``columns`` maps each standard field to the partner's heading, in the order the file has them. ``ages``
    is who the source sees (on the event's date); ``share`` the base chance a person in it appears at all
    (times their household's need); ``mean`` the mean number of events of one who does; ``nhs_share`` the
    share of its records that carry an NHS number; ``id_prefix`` the partner system's own ids (None: none).
    Every source also sends each record's LSOA (``area_code``, derived from the postcode by the partner, so
    blank where the postcode is), under the heading in :data:`LSOA_HEADINGS`.
    """

    partner: str
    source: str
    file: str
    columns: tuple[tuple[str, str], ...]
    date_format: str
    ages: tuple[int, int]
    share: float
    mean: float
    events: tuple[Event, ...]
    nhs_share: float
    id_prefix: str | None

    def heading(self, field: str) -> str | None:
        """The partner's heading for a standard field (None: the source does not send it)."""
        return dict(self.columns).get(field)


def _cols(*pairs: str) -> tuple[tuple[str, str], ...]:
    """Pairs of (standard field, partner heading) from a flat list."""
    return tuple((pairs[k], pairs[k + 1]) for k in range(0, len(pairs), 2))


_PERSON_UK = ("given_name", "Forename", "family_name", "Surname", "date_of_birth", "DOB")

_LAYOUTS: Final[tuple[Source, ...]] = (
    Source(COUNCIL, "children_social_care", "council_childrens_services.csv",
           _cols("local_id", "Child ID", *_PERSON_UK, "sex", "Gender", "nhs_number", "NHS Number",
                 "postcode", "Postcode", "address", "Address", "event_date", "Referral Date",
                 "event_type", "Category", "event_detail", "Outcome"),
           UK_DATE, (0, 17), 0.09, 2.6,
           (Event("referral", 5, ("neglect", "emotional abuse", "parental mental health", "domestic abuse")),
            Event("assessment", 4, ("no further action", "child in need")),
            Event("child_in_need_plan", 2), Event("child_protection_plan", 1, ("neglect", "emotional abuse")),
            Event("looked_after", 0.5, ("section 20", "care order"))),
           0.4, "CSC"),
    Source(COUNCIL, "adult_social_care", "council_adult_social_care.csv",
           _cols("local_id", "Person ID", "given_name", "First Name", "family_name", "Last Name",
                 "date_of_birth", "Date of Birth", "sex", "Sex", "nhs_number", "NHS No",
                 "postcode", "Post Code", "address", "Address Line", "event_date", "Start Date",
                 "event_type", "Service Type",
                 "event_detail", "Detail"),
           UK_DATE, (65, 110), 0.36, 3.4,
           (Event("assessment", 3, ("care act assessment", "review")),
            Event("home_care", 4, ("7 hours a week", "14 hours a week", "21 hours a week")),
            Event("reablement", 2, ("six weeks",)), Event("residential_care", 0.7, ("long stay", "respite")),
            Event("safeguarding_concern", 0.6, ("self-neglect", "financial abuse", "falls"))),
           0.75, "ASC"),
    Source(COUNCIL, "housing", "council_housing.csv",
           _cols("local_id", "Customer Ref", *_PERSON_UK, "postcode", "Postcode", "address", "Address",
                 "uprn", "UPRN", "event_date", "Event Date", "event_type", "Event", "event_detail", "Notes"),
           UK_DATE, (18, 110), 0.18, 2.0,
           (Event("homelessness_application", 2, ("relationship breakdown", "end of private tenancy")),
            Event("rent_arrears", 4, ("under £500", "£500 to £1,500", "over £1,500")),
            Event("tenancy_start", 2), Event("notice_seeking_possession", 1),
            Event("temporary_accommodation", 1, ("bed and breakfast", "hostel"))),
           0.0, "HSG"),
    Source(COUNCIL, "school_attendance", "council_school_attendance.csv",
           _cols("local_id", "UPN", "given_name", "Legal Forename", "family_name", "Legal Surname",
                 "date_of_birth", "Date of Birth", "sex", "Gender", "postcode", "Postcode",
                 "event_date", "Term Start", "event_type", "Absence Type", "event_detail", "Attendance"),
           UK_DATE, (5, 16), 0.34, 2.2,
           (Event("persistent_absence", 4, ("attendance 85%", "attendance 82%", "attendance 78%")),
            Event("severe_absence", 1, ("attendance 48%", "attendance 41%"))),
           0.0, "UPN"),
    Source(COUNCIL, "school_exclusions", "council_school_exclusions.csv",
           _cols("local_id", "UPN", *_PERSON_UK, "postcode", "Postcode", "event_date", "Exclusion Date",
                 "event_type", "Exclusion Type", "event_detail", "Reason"),
           UK_DATE, (5, 16), 0.066, 1.5,
           (Event("suspension", 6, ("persistent disruption", "physical assault", "verbal abuse")),
            Event("permanent_exclusion", 0.5, ("persistent disruption", "drugs"))),
           0.0, "UPN"),
    Source(POLICE, "police_incidents", "police_incidents.csv",
           _cols("local_id", "Nominal ID", "given_name", "First Name", "family_name", "Surname",
                 "date_of_birth", "Date Of Birth", "sex", "Sex", "postcode", "Home Postcode",
                 "address", "Home Address", "event_date", "Occurred Date", "event_type", "Incident Type",
                 "relationship", "Role"),
           UK_DATE, (10, 110), 0.12, 1.8,
           (Event("antisocial_behaviour", 4), Event("theft", 2), Event("assault", 2),
            Event("missing_person", 1), Event("criminal_damage", 1), Event("concern_for_welfare", 1.5)),
           0.0, "PN"),
    Source(POLICE, "domestic_abuse", "police_domestic_abuse.csv",
           _cols("local_id", "Nominal ID", *_PERSON_UK, "sex", "Sex", "postcode", "Postcode",
                 "address", "Address", "event_date", "Incident Date", "event_type", "DASH Risk",
                 "relationship", "Role", "related_local_id", "Linked Nominal"),
           UK_DATE, (16, 110), 0.075, 1.6,
           (Event("standard_risk", 5), Event("medium_risk", 3), Event("high_risk", 1.2)),
           0.0, "PN"),
    Source(NHS, "nhs_urgent_contacts", "nhs_urgent_contacts.csv",
           _cols("nhs_number", "NHS Number", "given_name", "Given Name", "family_name", "Family Name",
                 "date_of_birth", "Date of Birth", "sex", "Gender", "postcode", "Postcode",
                 "event_date", "Arrival Date", "event_type", "Attendance Type", "event_detail", "Diagnosis"),
           ISO_DATE, (0, 110), 0.38, 2.3,
           (Event("emergency_department", 6, ("injury", "breathing difficulty", "chest pain", "fall")),
            Event("emergency_admission", 2, ("respiratory infection", "fall", "heart failure")),
            Event("ambulance_conveyance", 2)),
           0.97, None),
    Source(NHS, "nhs_long_term_conditions", "nhs_long_term_conditions.csv",
           _cols("nhs_number", "NHS_NUMBER", "given_name", "FORENAME", "family_name", "SURNAME",
                 "date_of_birth", "DOB", "postcode", "POSTCODE", "event_date", "DIAGNOSIS_DATE",
                 "event_type", "CONDITION"),
           ISO_DATE, (18, 110), 0.31, 1.4,
           (Event("diabetes", 3), Event("copd", 1.5), Event("heart_failure", 1), Event("dementia", 1),
            Event("depression", 3), Event("asthma", 2), Event("hypertension", 4)),
           0.98, None),
    Source(DWP, "dwp_benefits", "jobcentre_benefits.csv",
           _cols("local_id", "Claimant Ref", "given_name", "Forename", "family_name", "Surname",
                 "date_of_birth", "Date of Birth", "postcode", "Postcode", "address", "Address",
                 "event_date", "Claim Start", "event_type", "Benefit", "event_detail", "Status"),
           UK_DATE, (18, 80), 0.26, 1.5,
           (Event("universal_credit", 6, ("in payment", "sanction", "closed")),
            Event("personal_independence_payment", 2, ("daily living", "mobility")),
            Event("employment_support_allowance", 1), Event("pension_credit", 1)),
           0.0, "CR"),
    Source(FIRE, "fire_safe_and_well", "fire_safe_and_well_visits.csv",
           _cols("given_name", "Occupier Forename", "family_name", "Occupier Surname",
                 "date_of_birth", "Occupier DOB", "postcode", "Postcode", "address", "Address",
                 "event_date", "Visit Date", "event_type", "Visit Type", "event_detail", "Risks Found"),
           UK_DATE, (50, 110), 0.24, 1.2,
           (Event("safe_and_well_visit", 5, ("smoke alarm fitted", "hoarding", "smoking in bed", "none")),
            Event("post_incident_visit", 1, ("kitchen fire", "electrical fault"))),
           0.0, None),
    Source(VCS, "vcs_support", "community_action_support.csv",
           _cols("local_id", "Client No", "given_name", "First name", "family_name", "Last name",
                 "date_of_birth", "Date of birth", "postcode", "Postcode", "event_date", "Contact date",
                 "event_type", "Support", "event_detail", "Notes"),
           UK_DATE, (16, 110), 0.11, 2.2,
           (Event("food_bank", 4, ("parcel", "fuel voucher")), Event("debt_advice", 2),
            Event("befriending", 1.5), Event("youth_club", 1)),
           0.0, "VCS"),
)  # fmt: skip

LSOA_HEADINGS: Final[dict[str, str]] = {
    "children_social_care": "LSOA",
    "adult_social_care": "LSOA Code",
    "housing": "LSOA",
    "school_attendance": "LSOA",
    "school_exclusions": "LSOA",
    "police_incidents": "LSOA of Residence",
    "domestic_abuse": "LSOA of Residence",
    "nhs_urgent_contacts": "LSOA",
    "nhs_long_term_conditions": "LSOA_CODE",
    "dwp_benefits": "LSOA",
    "fire_safe_and_well": "LSOA",
    "vcs_support": "Area (LSOA)",
}
SOURCES: Final[tuple[Source, ...]] = tuple(
    replace(s, columns=(*s.columns, ("area_code", LSOA_HEADINGS[s.source]))) for s in _LAYOUTS
)
BY_SOURCE: Final[dict[str, Source]] = {s.source: s for s in SOURCES}
