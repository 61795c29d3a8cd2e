"""The visit counter Lambda (app.py)."""

import time

IMPORT_STARTED = time.perf_counter()
"""When Lambda began importing the handler: the package is imported before app.py and everything it imports, so
app.IMPORT_MS, logged once per cold start, spans them all."""
