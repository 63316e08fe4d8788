"""RQ entry points: thin wrappers that take ids and call a service (see DESIGN.md)."""
