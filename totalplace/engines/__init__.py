"""Engines: functions over a place's data that return typed results for the CLI, web and reports."""
