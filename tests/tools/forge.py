#!/usr/bin/python3
"""Build deliberately wrong (or deliberately odd) signed STM32 images for the
tests, independently of the project's C code.

forge.py CONSTRUCTION PREPARED KEY.pem OUT
  correct    sign SHA-256 of [0x48, header + image_length) (the ROM's rule)
  high-s     the same, with s replaced by n - s when s is low (still valid)
  eof        append zeros to a 32-byte multiple past image_length and sign
             SHA-256 of [0x48, end of file) (the public MP23 case)
  double     sign SHA-256(digest) (KMS MessageType=RAW on a digest)
  header     sign SHA-256 of [0x48, header end)
  payload    sign SHA-256 of the payload only
  short-r    a signature whose r has a leading zero, written as 31 bytes
  xy-table   table entry pk_idx replaced by SHA-256(X||Y), then signed correctly
"""
import hashlib
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def header_size(img):
    version = struct.unpack_from("<I", img, 0x48)[0]
    return 0x100 if version == 0x00010000 else 0x80 + struct.unpack_from("<I", img, 0x68)[0]


def sign(key, digest):
    der = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    return utils.decode_dss_signature(der)


def raw(r, s):
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def main():
    what, src, keyfile, out = sys.argv[1:5]
    img = bytearray(open(src, "rb").read())
    key = serialization.load_pem_private_key(open(keyfile, "rb").read(), None)
    hs = header_size(img)
    end = hs + struct.unpack_from("<I", img, 0x4C)[0]
    if what == "xy-table":
        pk_idx = struct.unpack_from("<I", img, 0x88)[0]
        xy = bytes(img[0x94:0xD4])
        img[0xD4 + 32 * pk_idx:0xD4 + 32 * pk_idx + 32] = hashlib.sha256(xy).digest()
    if what == "eof":
        img += bytes((-len(img)) % 32 or 32)
    rng = {"eof": (0x48, len(img)), "header": (0x48, hs), "payload": (hs, end)}.get(what, (0x48, end))
    digest = hashlib.sha256(bytes(img[rng[0]:rng[1]])).digest()
    if what == "double":
        digest = hashlib.sha256(digest).digest()
    r, s = sign(key, digest)
    if what == "high-s" and s < N // 2:
        s = N - s
    if what == "short-r":
        while r >= 1 << 248:
            r, s = sign(key, digest)
        sig = r.to_bytes(31, "big") + s.to_bytes(32, "big") + b"\0"
    else:
        sig = raw(r, s)
    img[4:68] = sig
    open(out, "wb").write(img)


if __name__ == "__main__":
    main()
