"""The transactional store: schema, migrations, the audit chain and the repositories over them.

Only this package writes to the transactional database (DESIGN.md §3).
"""
