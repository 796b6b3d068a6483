#!/usr/bin/python3
"""Compare an image with ST's, byte for byte, except what ST's tool makes at
random: the signature field and the padding extension's body. Independent of
the project's C code (offsets from ../shared/spec/stm32-image.md).

st_compare.py OURS ST [--signature-too]   exit 0 when equal, 1 with the first difference
"""
import struct
import sys


def random_ranges(img):
    """[(start, end)] of the signature field and the padding extension body."""
    if struct.unpack_from("<I", img, 0x68)[0] == 0x00020300:
        sig, base, ext_len = 96, 0xA0, struct.unpack_from("<I", img, 0x88)[0]
    elif struct.unpack_from("<I", img, 0x48)[0] == 0x00010000:
        return [(4, 4 + 64)]
    else:
        sig, base, ext_len = 64, 0x80, struct.unpack_from("<I", img, 0x68)[0]
    out, off = [(4, 4 + sig)], base
    while off < base + ext_len:
        typ, ln = img[off:off + 4], struct.unpack_from("<I", img, off + 4)[0]
        if typ == b"ST\xff\xff":
            out.append((off + 8, off + ln))
        if ln < 8:
            break
        off += ln
    return out


def main():
    ours, st = (open(p, "rb").read() for p in sys.argv[1:3])
    keep_sig = "--signature-too" in sys.argv
    if len(ours) != len(st):
        print("length %d, ST's %d" % (len(ours), len(st)))
        return 1
    skip = random_ranges(st)
    if keep_sig:
        skip = skip[1:]
    for i, (a, b) in enumerate(zip(ours, st)):
        if a != b and not any(s <= i < e for s, e in skip):
            print("first difference at 0x%x: 0x%02x, ST's 0x%02x" % (i, a, b))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
