"""The web app: server-rendered pages, each with a .json twin carrying the same data (DESIGN.md §5)."""
