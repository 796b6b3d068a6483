#!/usr/bin/python3
"""flipbit.py FILE OFFSET [MASK]: XOR the byte at OFFSET with MASK (default 1),
so the file always changes (writing a fixed byte does not when it was there)."""
import sys

path, off = sys.argv[1], int(sys.argv[2], 0)
mask = int(sys.argv[3], 0) if len(sys.argv) > 3 else 1
with open(path, "r+b") as f:
    f.seek(off)
    b = f.read(1)
    f.seek(off)
    f.write(bytes([b[0] ^ mask]))
