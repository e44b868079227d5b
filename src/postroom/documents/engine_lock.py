"""One lock for PDFium in a process that runs threads (the API's request threads, the
worker's stage threads): PDFium keeps global state and is not thread-safe (pypdfium2's
documentation: parallelise with processes, not threads). Work in sandbox children, one
call a process, does not need it."""

from __future__ import annotations

import threading

PDFIUM_LOCK = threading.RLock()
