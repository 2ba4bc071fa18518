"""The media library: uploaded images, cleaned, content-addressed and resized.

Inner shape, like a service in miniature: ``models`` (tables), ``repository`` (queries),
``images`` (pure Pillow work: bytes in, bytes out), ``files`` (the media directory),
``service`` (the rules), ``schemas``, ``presenters`` and ``routes`` (HTTP).
docs/operations.md says where the files live and how they reach readers.
"""
