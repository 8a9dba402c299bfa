#!/usr/bin/env python3
"""Puts model files into the page cache the way the engine maps them, and takes others out.

    page_cache.py --warm FILE... [--evict FILE...]

--evict drops each file's cached pages (posix_fadvise DONTNEED), so a model that needs most of the machine's memory
is not left half on disk by files benchmarked before it. --warm first drops the file's own cached pages, then maps
it with MADV_HUGEPAGE and touches every page, as the engine's mapping does: the page cache is filled in 2 MiB folios
that the engine's mapping can map with one TLB entry each. (Warming with `cat` fills it through read() readahead in
folios of at most the readahead window, which a later mapping can never map as huge pages; routed MoE experts read
from such a cache pay a TLB miss per 4 KiB.)
"""
import mmap
import os
import sys


def evict(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def warm(path):
    evict(path)
    size = os.path.getsize(path)
    if size == 0:
        return
    with open(path, "rb") as f, mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ) as m:
        if hasattr(mmap, "MADV_HUGEPAGE"):
            m.madvise(mmap.MADV_HUGEPAGE)
        total = 0
        for off in range(0, size, 4096):
            total += m[off]
    return total


def main(argv):
    mode, warm_files, evict_files = None, [], []
    for a in argv:
        if a in ("--warm", "--evict"):
            mode = a
        elif mode == "--warm":
            warm_files.append(a)
        elif mode == "--evict":
            evict_files.append(a)
        else:
            sys.exit(f"page_cache.py: expected --warm or --evict before {a}")
    for p in evict_files:
        if p not in warm_files:
            evict(p)
    for p in warm_files:
        warm(p)


if __name__ == "__main__":
    main(sys.argv[1:])
