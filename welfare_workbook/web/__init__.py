"""The local web page over a survey folder (``welfare-workbook serve``, DESIGN §2b).

- :mod:`.server`: binds 127.0.0.1, prints the URL, opens the browser, stops cleanly.
- :mod:`.app`: the guard (host, per-launch secret, same origin, body size) and the app.
- :mod:`.routes`: one handler per page or action, each one call into :mod:`.views`.
- :mod:`.views`: what a page shows, read from the folder through the library
  (folder, workspace, status, review, receive, journal) at every request.
- :mod:`.files`: downloads looked up in the folder's listings, uploads' safe names.

Nothing here is imported by the package or by ``--help``: starlette, uvicorn and jinja2
are loaded by ``serve`` alone. The web layer never imports the writer (generate, xlsx):
it generates through :func:`~welfare_workbook.folder.generate_in`.
"""
