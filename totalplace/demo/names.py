"""Names, streets and nicknames for the demo's synthetic residents.

These lists are **made up for the demo**: the names are ones commonly seen in England and the weights are
rough, chosen so a few names are very common and most are rare (as in the ONS "Baby names in England and
Wales" and surname tables), but they are not ONS frequencies and must not be quoted as such. Nothing here
describes a real person; the street names are invented.
"""

from __future__ import annotations

from typing import Final

# (name, weight): weights fall off roughly as 1/rank, the shape real name frequency tables have.
GIVEN_FEMALE: Final[tuple[str, ...]] = (
    "Olivia", "Amelia", "Emily", "Sophie", "Jessica", "Elizabeth", "Margaret", "Sarah", "Rebecca",
    "Katherine", "Victoria", "Jennifer", "Hannah", "Lucy", "Chloe", "Grace", "Ella", "Isla", "Lily",
    "Ava", "Mia", "Charlotte", "Susan", "Patricia", "Helen", "Karen", "Joanne", "Nicola", "Claire",
    "Lisa", "Amy", "Laura",
    "Zara", "Aisha", "Fatima", "Maryam", "Priya", "Anya", "Niamh", "Siobhan", "Megan", "Freya", "Poppy",
    "Evie", "Jean", "Dorothy", "Joan", "Shirley", "Brenda", "Maureen",
)  # fmt: skip
GIVEN_MALE: Final[tuple[str, ...]] = (
    "Oliver", "George", "Harry", "Jack", "Thomas", "James", "William", "Robert", "Michael", "Daniel",
    "Christopher", "Alexander", "Samuel", "Matthew", "Benjamin", "Joseph", "Anthony", "Richard", "David",
    "John", "Paul", "Mark", "Andrew", "Stephen", "Peter", "Noah", "Leo", "Oscar", "Charlie", "Jacob",
    "Muhammad", "Ali", "Omar", "Hassan", "Arjun", "Rohan", "Liam", "Connor", "Kieran", "Ryan", "Callum",
    "Jamie", "Lewis", "Alfie", "Freddie", "Kenneth", "Brian", "Derek", "Keith", "Graham",
)  # fmt: skip
FAMILY: Final[tuple[str, ...]] = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
    "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott",
    "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly",
    "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox",
    "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson",
    "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell",
    "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell",
    "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Ahmed", "O'Brien", "Fletcher",
    "Nowak", "Kowalski", "McDonald", "Sutherland", "Okafor", "Mensah", "Ashworth", "Fairclough",
)  # fmt: skip
# How people are called in some systems: the name a person gives at a front desk is not always the legal one.
NICKNAMES: Final[dict[str, str]] = {
    "William": "Bill", "Robert": "Bob", "Elizabeth": "Liz", "Margaret": "Maggie", "James": "Jim",
    "Thomas": "Tom", "Michael": "Mike", "Katherine": "Kate", "Daniel": "Dan", "Christopher": "Chris",
    "Alexander": "Alex", "Rebecca": "Becky", "Jennifer": "Jenny", "Samuel": "Sam", "Matthew": "Matt",
    "Benjamin": "Ben", "Joseph": "Joe", "Jessica": "Jess", "Victoria": "Vicky", "Anthony": "Tony",
    "Richard": "Rick", "Stephen": "Steve", "Andrew": "Andy", "Patricia": "Pat", "Susan": "Sue",
    "Jacob": "Jake", "Frederick": "Fred", "Nicola": "Nicky", "Charlotte": "Lottie", "Dorothy": "Dot",
}  # fmt: skip
STREETS: Final[tuple[str, ...]] = (
    "Mill", "Church", "Station", "Victoria", "Park", "Queen", "King", "High", "Chapel", "Albert", "Canal",
    "Bridge", "Spring", "Hollin", "Moss", "Ash", "Elm", "Beech", "Oak", "Rowan", "Heather", "Foundry",
    "Weavers", "Colliery", "Tannery", "Lark", "Wren", "Kestrel", "Brook", "Meadow", "Orchard", "Quarry",
    "Well", "Cross", "Market", "Castle", "Abbey", "Priory", "Granby", "Peel",
)  # fmt: skip
STREET_KINDS: Final[tuple[str, ...]] = (
    "Street",
    "Road",
    "Lane",
    "Avenue",
    "Close",
    "Grove",
    "Terrace",
    "Way",
)


def zipf_weights(count: int) -> list[float]:
    """Weights proportional to 1/rank (ranks from 1), summing to one."""
    raw = [1.0 / (rank + 1) for rank in range(count)]
    total = sum(raw)
    return [w / total for w in raw]
