"""The editor: a server-rendered web app (Jinja2 + htmx) under ``/editor``.

A client of the same service functions the API uses (service.py, listing.py, tokens.py):
the rules live there, once; this package holds only what a browser needs on top: people's
accounts, sessions, CSRF, pages.
"""
