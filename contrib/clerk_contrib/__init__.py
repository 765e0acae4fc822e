"""Framework integrations for clerk-core (FastAPI/Starlette, Django, Flask).

Glue only: request adapters, middleware and dependencies over the public API.
The integrations arrive with the roadmap's fourth step; this package is the
place they live so that distribution and import names are fixed from the start.
"""
