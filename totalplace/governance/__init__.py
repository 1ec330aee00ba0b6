"""Who may do what: passwords, roles scoped to a partner and a purpose, permission checks (DESIGN.md §7)."""
