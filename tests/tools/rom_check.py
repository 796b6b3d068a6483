#!/usr/bin/python3
"""rom_check.py: an independent re-implementation of the STM32 boot ROM's checks.

Written from /work/shared/spec/stm32-image.md and the ST-signed vectors only (not
from the project's C code), so that it can be the second opinion on every image our
tools make.

  rom_check.py [--otp HEX] [--oem-secret FILE] [--json] IMAGE.stm32
      verify as the ROM does; exit 0 accepted, 1 rejected, 2 usage, 3 malformed
  rom_check.py otp --algo N PUB.pem [PUB.pem ...]
      print the OTP value (key-table hash) of a key set, as the ROM checks it
  rom_check.py otp --v1 [--algo N] PUB.pem
      print the v1.0 OTP value SHA-256(X||Y)

Checks, in the ROM's order (v2.x): table hash == OTP, key entry, ECDSA, checksum.
v1.0: SHA-256(X||Y) == OTP, ECDSA, checksum. With --oem-secret the FSBL decryption
extension is also checked: the payload decrypts and its SHA-256[0:16] is hash16.
Curves: 1 P-256, 2 brainpoolP256t1, 3 P-384, 4 brainpoolP384t1 (brainpool t1 is not
in python3-cryptography, so ECDSA is done here in plain integer arithmetic).
"""
import argparse
import base64
import hashlib
import json
import struct
import sys

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MAGIC = b"STM2"
EXT_AUTH = b"ST\x00\x02"
EXT_DEC = b"ST\x00\x01"
EXT_PAD = b"ST\xff\xff"


# ---- curves (short Weierstrass y^2 = x^3 + a x + b over GF(p)) -------------------
class Curve:
    def __init__(self, name, size, p, a, b, gx, gy, n, hashname):
        self.name, self.size, self.p, self.a, self.b = name, size, p, a, b
        self.g, self.n, self.hashname = (gx, gy), n, hashname


def _h(s):
    return int(s.replace(" ", "").replace(":", ""), 16)


CURVES = {
    1: Curve("P-256", 32,
             _h("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"),
             _h("ffffffff00000001000000000000000000000000fffffffffffffffffffffffc"),
             _h("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b"),
             _h("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"),
             _h("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"),
             _h("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"),
             "sha256"),
    2: Curve("brainpoolP256t1", 32,
             _h("a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377"),
             _h("a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5374"),
             _h("662c61c430d84ea4fe66a7733d0b76b7bf93ebc4af2f49256ae58101fee92b04"),
             _h("a3e8eb3cc1cfe7b7732213b23a656149afa142c47aafbc2b79a191562e1305f4"),
             _h("2d996c823439c56d7f7b22e14644417e69bcb6de39d027001dabe8f35b25c9be"),
             _h("a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7"),
             "sha256"),
    3: Curve("P-384", 48,
             2**384 - 2**128 - 2**96 + 2**32 - 1,
             2**384 - 2**128 - 2**96 + 2**32 - 4,
             _h("b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875a"
                "c656398d8a2ed19d2a85c8edd3ec2aef"),
             _h("aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a38"
                "5502f25dbf55296c3a545e3872760ab7"),
             _h("3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c0"
                "0a60b1ce1d7e819d7a431d7c90ea0e5f"),
             _h("ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf"
                "581a0db248b0a77aecec196accc52973"),
             "sha384"),
    4: Curve("brainpoolP384t1", 48,
             _h("8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b412b1da197fb71123"
                "acd3a729901d1a71874700133107ec53"),
             _h("8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b412b1da197fb71123"
                "acd3a729901d1a71874700133107ec50"),
             _h("7f519eada7bda81bd826dba647910f8c4b9346ed8ccdc64e4b1abd11756dce1d"
                "2074aa263b88805ced70355a33b471ee"),
             _h("18de98b02db9a306f2afcd7235f72a819b80ab12ebd653172476fecd462aabff"
                "c4ff191b946a5f54d8d0aa2f418808cc"),
             _h("25ab056962d30651a114afd2755ad336747f93475b7a1fca3b88f2b6a208ccfe"
                "469408584dc2b2912675bf5b9e582928"),
             _h("8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7"
                "cf3ab6af6b7fc3103b883202e9046565"),
             "sha384"),
}
# Header v1.0 / v2.x (before v2.3) only know the 256-bit curves.
CURVES_256 = (1, 2)


def _add(c, P, Q):
    if P is None:
        return Q
    if Q is None:
        return P
    p = c.p
    if P[0] == Q[0]:
        if (P[1] + Q[1]) % p == 0:
            return None
        lam = (3 * P[0] * P[0] + c.a) * pow(2 * P[1], -1, p) % p
    else:
        lam = (Q[1] - P[1]) * pow(Q[0] - P[0], -1, p) % p
    x = (lam * lam - P[0] - Q[0]) % p
    return (x, (lam * (P[0] - x) - P[1]) % p)


def _mul(c, k, P):
    R = None
    while k:
        if k & 1:
            R = _add(c, R, P)
        P = _add(c, P, P)
        k >>= 1
    return R


def on_curve(c, Q):
    x, y = Q
    return 0 <= x < c.p and 0 <= y < c.p and \
        (y * y - (x * x * x + c.a * x + c.b)) % c.p == 0


def ecdsa_verify(c, Q, digest, r, s):
    """Plain ECDSA (no low-S rule) over a digest, as FIPS 186-4 6.4.2."""
    if not (0 < r < c.n and 0 < s < c.n) or not on_curve(c, Q):
        return False
    e = int.from_bytes(digest, "big")
    nbits = c.n.bit_length()
    if len(digest) * 8 > nbits:
        e >>= len(digest) * 8 - nbits
    w = pow(s, -1, c.n)
    R = _add(c, _mul(c, e * w % c.n, c.g), _mul(c, r * w % c.n, Q))
    return R is not None and R[0] % c.n == r


# ---- header layouts: version differences are data ---------------------------------
class Row:
    def __init__(self, **kw):
        self.__dict__.update(kw)


V10 = Row(name="v1.0", ver_off=0x48, base=0x100, sig_off=0x04, sig_field=64,
          checksum_off=0x44, len_off=0x4C, entry_off=0x50, load_off=0x58, iv_off=0x60,
          flags_off=0x64, extlen_off=None, ext_off=None, key_field=64,
          algos=CURVES_256, signed=[(0x48, None)])
V20 = Row(name="v2.0", ver_off=0x48, base=0x80, sig_off=0x04, sig_field=64,
          checksum_off=0x44, len_off=0x4C, entry_off=0x50, load_off=0x58, iv_off=0x60,
          flags_off=0x64, extlen_off=0x68, ext_off=0x80, key_field=64,
          algos=CURVES_256, signed=[(0x48, None)])
V22 = Row(name="v2.2", ver_off=0x48, base=0x80, sig_off=0x04, sig_field=64,
          checksum_off=0x44, len_off=0x4C, entry_off=0x50, load_off=0x58, iv_off=0x60,
          flags_off=0x64, extlen_off=0x68, ext_off=0x80, key_field=64,
          algos=CURVES_256, signed=[(0x48, 0x78), (0x80, None)])
V23 = Row(name="v2.3", ver_off=0x68, base=0xA0, sig_off=0x04, sig_field=96,
          checksum_off=0x64, len_off=0x6C, entry_off=0x70, load_off=0x78, iv_off=0x80,
          flags_off=0x84, extlen_off=0x88, ext_off=0xA0, key_field=96,
          algos=(1, 2, 3, 4), signed=[(0x68, 0x98), (0xA0, None)])

VERSIONS = {  # (offset, stored bytes) -> row; v2.3 first: its 0x48 is signature
    (0x68, b"\x00\x03\x02\x00"): V23,
    (0x48, b"\x00\x00\x01\x00"): V10,
    (0x48, b"\x00\x00\x02\x00"): V20,
    (0x48, b"\x00\x02\x02\x00"): V22,
}
REFUSED = {(0x48, b"\x00\x01\x02\x00"): "v2.1 (STM32N6 rev Z) is out of scope"}


class Malformed(Exception):
    pass


def u32(b, off):
    if off + 4 > len(b):
        raise Malformed("field at 0x%X is past the end of the file (%d bytes)" % (off, len(b)))
    return struct.unpack_from("<I", b, off)[0]


def detect(img):
    if img[:4] != MAGIC:
        raise Malformed("magic at 0x0 is %s, expected 'STM2'" % img[:4].hex())
    for (off, val), why in REFUSED.items():
        if img[off:off + 4] == val:
            raise Malformed("header %s" % why)
    for (off, val), row in VERSIONS.items():
        if img[off:off + 4] == val:
            return row
    raise Malformed("unknown header version: 0x48 holds %s, 0x68 holds %s"
                    % (img[0x48:0x4C].hex(), img[0x68:0x6C].hex()))


def header_size(row, img):
    if row.extlen_off is None:
        return row.base
    return row.ext_off + u32(img, row.extlen_off)


def parse_exts(row, img, hsize):
    """Extension chain from ext_off; must fill ext_len exactly."""
    exts, off = [], row.ext_off
    while off < hsize:
        if off + 8 > hsize:
            raise Malformed("extension at 0x%X: 8-byte head does not fit before 0x%X" % (off, hsize))
        typ, ln = img[off:off + 4], u32(img, off + 4)
        if ln < 8 or off + ln > hsize:
            raise Malformed("extension %s at 0x%X: len 0x%X runs past the headers' end 0x%X"
                            % (typ.hex(), off, ln, hsize))
        exts.append((typ, off, ln))
        off += ln
    return exts


def signed_bytes(row, img, end):
    return b"".join(img[a:(end if b is None else b)] for a, b in row.signed)


def auth_fields(row, img, off, ln):
    """Authentication extension: pk_idx, nb_pk, algo, key field, table."""
    pk_idx, nb_pk, algo = u32(img, off + 8), u32(img, off + 12), u32(img, off + 16)
    key = img[off + 20:off + 20 + row.key_field]
    table_off = off + 20 + row.key_field
    if not 1 <= nb_pk <= 8:
        raise Malformed("authentication extension at 0x%X: nb_pk %d, expected 1..8" % (off, nb_pk))
    if ln != 20 + row.key_field + 32 * nb_pk:
        raise Malformed("authentication extension at 0x%X: len 0x%X, expected 0x%X for %d keys"
                        % (off, ln, 20 + row.key_field + 32 * nb_pk, nb_pk))
    return pk_idx, nb_pk, algo, key, table_off


def key_xy(algo, key_field):
    """X||Y of the curve's width (a P-256 key in a 96-byte field: first 64, rest zero)."""
    c = CURVES[algo]
    xy, rest = key_field[:2 * c.size], key_field[2 * c.size:]
    return xy, rest


def entry_hash(algo, xy):
    return hashlib.sha256(struct.pack("<I", algo) + xy).digest()


class Report:
    def __init__(self, path):
        self.path, self.checks, self.info, self.failed = path, [], {}, None

    def check(self, name, ok, detail):
        self.checks.append({"check": name, "ok": bool(ok), "detail": detail})
        if not ok and self.failed is None:
            self.failed = "%s: %s" % (name, detail)
        return ok


def check_signature(rep, row, img, algo, xy, end):
    c = CURVES[algo]
    sig = img[row.sig_off:row.sig_off + row.sig_field]
    r = int.from_bytes(sig[:c.size], "big")
    s = int.from_bytes(sig[c.size:2 * c.size], "big")
    tail = sig[2 * c.size:]
    digest = hashlib.new(c.hashname, signed_bytes(row, img, end)).digest()
    rep.info["digest"] = digest.hex()
    rep.info["signed_ranges"] = ["[0x%X,0x%X)" % (a, end if b is None else b) for a, b in row.signed]
    Q = (int.from_bytes(xy[:c.size], "big"), int.from_bytes(xy[c.size:], "big"))
    ok = ecdsa_verify(c, Q, digest, r, s)
    rep.check("ecdsa", ok, "%s over %s of %s" % (c.name, c.hashname.upper(),
                                                 " || ".join(rep.info["signed_ranges"])))
    if tail:
        rep.check("signature_tail", not any(tail),
                  "bytes 0x%X..0x%X after r||s must be zero"
                  % (row.sig_off + 2 * c.size, row.sig_off + row.sig_field))


def check_checksum(rep, row, img, hsize, length):
    want = u32(img, row.checksum_off)
    got = sum(img[hsize:hsize + length]) & 0xFFFFFFFF
    rep.check("checksum", got == want, "stored 0x%08X, sum of payload 0x%08X" % (want, got))


def kdf(secret16, dc):
    """AES-CMAC(secret, 00000001 || "BL2 encryption key." || 00 || LE32(dc) || 00000080)."""
    msg = b"\x00\x00\x00\x01" + b"BL2 encryption key." + b"\x00" + struct.pack("<I", dc) + \
        b"\x00\x00\x00\x80"
    m = cmac.CMAC(algorithms.AES(secret16))
    m.update(msg)
    return m.finalize()


def check_decryption(rep, img, off, hsize, length, secret):
    key_size, dc, hash16 = u32(img, off + 8), u32(img, off + 12), img[off + 16:off + 32]
    rep.info["decryption"] = {"key_size": key_size, "dc": "0x%08X" % dc, "hash16": hash16.hex()}
    if secret is None:
        return
    if length % 16:
        rep.check("decryption", False, "image_length %d is not a multiple of 16" % length)
        return
    k = kdf(secret, dc)
    d = Cipher(algorithms.AES(k), modes.CBC(hash16)).decryptor()
    plain = d.update(img[hsize:hsize + length]) + d.finalize()
    got = hashlib.sha256(plain).digest()[:16]
    rep.info["plaintext_sha256"] = hashlib.sha256(plain).hexdigest()
    rep.check("decryption", got == hash16,
              "SHA-256(decrypted payload)[0:16] %s, hash16 %s" % (got.hex(), hash16.hex()))
    rep.plain = plain


def verify_v2(rep, row, img, otp, secret):
    hsize = header_size(row, img)
    length = u32(img, row.len_off)
    end = hsize + length
    if end > len(img):
        raise Malformed("image_length 0x%X at 0x%X: header 0x%X + length runs past the file (%d bytes)"
                        % (length, row.len_off, hsize, len(img)))
    flags = u32(img, row.flags_off)
    exts = parse_exts(row, img, hsize)
    rep.info.update(header_size="0x%X" % hsize, image_length=length, flags="0x%08X" % flags,
                    extensions=["%s@0x%X+0x%X" % (t.hex(), o, ln) for t, o, ln in exts],
                    trailing=len(img) - end)
    dec = [e for e in exts if e[0] == EXT_DEC]
    if flags & 2:
        if not dec:
            raise Malformed("flags 0x%08X at 0x%X: decryption bit set, no decryption extension"
                            % (flags, row.flags_off))
        check_decryption(rep, img, dec[0][1], hsize, length, secret)
    if not flags & 1:
        rep.check("authentication", False,
                  "flags 0x%08X at 0x%X: authentication bit clear (unsigned image)"
                  % (flags, row.flags_off))
        check_checksum(rep, row, img, hsize, length)
        return
    if not exts or exts[0][0] != EXT_AUTH:
        raise Malformed("first extension at 0x%X is not authentication (ST\\0\\2)" % row.ext_off)
    _, off, ln = exts[0]
    pk_idx, nb_pk, algo, keyf, table_off = auth_fields(row, img, off, ln)
    if algo not in row.algos:
        raise Malformed("ecc_algo %d at 0x%X not valid for header %s" % (algo, off + 16, row.name))
    table = img[table_off:table_off + 32 * nb_pk]
    th = hashlib.sha256(table).digest()
    rep.info.update(pk_idx=pk_idx, nb_pk=nb_pk, algo=CURVES[algo].name, table_hash=th.hex(),
                    table_off="0x%X" % table_off, key_off="0x%X" % (off + 20))
    if otp is None:
        rep.info["otp"] = "not given: table hash not checked"
    else:
        rep.check("otp", th == otp, "SHA-256(table at 0x%X) %s, OTP %s" % (table_off, th.hex(), otp.hex()))
    xy, rest = key_xy(algo, keyf)
    rep.check("key_padding", not any(rest), "key field bytes after X||Y must be zero")
    ok = rep.check("pk_idx", pk_idx < nb_pk, "pk_idx %d, nb_pk %d" % (pk_idx, nb_pk))
    if ok:
        e = entry_hash(algo, xy)
        stored = table[32 * pk_idx:32 * pk_idx + 32]
        rep.check("key_entry", e == stored, "SHA-256(LE32(%d)||X||Y) %s, table[%d] %s"
                  % (algo, e.hex(), pk_idx, stored.hex()))
    check_signature(rep, row, img, algo, xy, end)
    check_checksum(rep, row, img, hsize, length)


def verify_v1(rep, row, img, otp):
    length = u32(img, row.len_off)
    end = row.base + length
    if end > len(img):
        raise Malformed("image_length 0x%X at 0x%X runs past the file (%d bytes)"
                        % (length, row.len_off, len(img)))
    opt, algo = u32(img, 0x64), u32(img, 0x68)
    rep.info.update(header_size="0x100", image_length=length, option_flags="0x%08X" % opt,
                    trailing=len(img) - end)
    if opt & 1:
        rep.check("authentication", False, "option flags 0x%08X at 0x64: bit0 set, no signature check" % opt)
        check_checksum(rep, row, img, row.base, length)
        return
    if algo not in row.algos:
        raise Malformed("ecc_algo %d at 0x68 not valid for header v1.0" % algo)
    xy = img[0x6C:0x6C + 64]
    kh = hashlib.sha256(xy).digest()
    rep.info.update(algo=CURVES[algo].name, key_hash=kh.hex())
    if otp is not None:
        rep.check("otp", kh == otp, "SHA-256(X||Y at 0x6C) %s, OTP %s" % (kh.hex(), otp.hex()))
    check_signature(rep, row, img, algo, xy, end)
    check_checksum(rep, row, img, row.base, length)


def verify(path, img, otp=None, secret=None):
    rep = Report(path)
    row = detect(img)
    rep.info["header"] = row.name
    if row is V10:
        verify_v1(rep, row, img, otp)
    else:
        verify_v2(rep, row, img, otp, secret)
    return rep


# ---- public keys ----------------------------------------------------------------
def pem_point(path, size):
    """X||Y of an EC public key PEM (SubjectPublicKeyInfo ends with 04||X||Y)."""
    with open(path) as f:
        lines = [ln.strip() for ln in f if ln.strip() and not ln.startswith("-----")]
    der = base64.b64decode("".join(lines))
    q = der[-(2 * size + 1):]
    if q[0] != 4:
        raise Malformed("%s: not an uncompressed %d-bit EC point" % (path, size * 8))
    return q[1:]


def otp_of(algo, pems):
    entries = b"".join(entry_hash(algo, pem_point(p, CURVES[algo].size)) for p in pems)
    return hashlib.sha256(entries).digest()


def read_secret(path):
    with open(path, "rb") as f:
        s = f.read()
    if len(s) not in (16, 32):
        raise Malformed("%s: OEM secret is %d bytes, expected 16 (or 32)" % (path, len(s)))
    return s[:16]


def print_text(rep, verdict):
    print("%s: header %s" % (rep.path, rep.info.get("header")))
    for k, v in rep.info.items():
        if k != "header":
            print("  %s: %s" % (k, v))
    for c in rep.checks:
        print("  [%s] %s: %s" % ("ok" if c["ok"] else "FAIL", c["check"], c["detail"]))
    print("verdict: %s%s" % (verdict, "" if rep.failed is None else " (first failure: %s)" % rep.failed))


def main_otp(argv):
    ap = argparse.ArgumentParser(prog="rom_check.py otp")
    ap.add_argument("--algo", type=int, default=1, choices=sorted(CURVES))
    ap.add_argument("--v1", action="store_true", help="header v1.0: SHA-256(X||Y) of one key")
    ap.add_argument("pem", nargs="+")
    a = ap.parse_args(argv)
    if a.v1:
        if len(a.pem) != 1:
            ap.error("--v1 takes exactly one key")
        print(hashlib.sha256(pem_point(a.pem[0], CURVES[a.algo].size)).hexdigest())
    else:
        print(otp_of(a.algo, a.pem).hex())
    return 0


def main(argv):
    if argv and argv[0] == "otp":
        return main_otp(argv[1:])
    ap = argparse.ArgumentParser(description="verify an .stm32 image as the boot ROM does")
    ap.add_argument("--otp", help="expected OTP value (key-table hash), hex")
    ap.add_argument("--oem-secret", help="16-byte OEM secret file: also decrypt and check hash16")
    ap.add_argument("--plain-out", help="with --oem-secret: write the decrypted payload here")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("image")
    a = ap.parse_args(argv)
    try:
        otp = bytes.fromhex(a.otp) if a.otp else None
        if otp is not None and len(otp) != 32:
            raise ValueError
    except ValueError:
        print("rom_check.py: --otp must be 64 hex digits", file=sys.stderr)
        return 2
    try:
        secret = read_secret(a.oem_secret) if a.oem_secret else None
        with open(a.image, "rb") as f:
            img = f.read()
        rep = verify(a.image, img, otp, secret)
    except Malformed as e:
        print("rom_check.py: %s: malformed: %s" % (a.image, e), file=sys.stderr)
        return 3
    except OSError as e:
        print("rom_check.py: %s" % e, file=sys.stderr)
        return 4
    verdict = "accepted" if rep.failed is None else "rejected"
    if a.plain_out and hasattr(rep, "plain"):
        with open(a.plain_out, "wb") as f:
            f.write(rep.plain)
    if a.json:
        print(json.dumps({"file": a.image, "verdict": verdict, "first_failure": rep.failed,
                          "info": rep.info, "checks": rep.checks}, indent=1))
    else:
        print_text(rep, verdict)
    return 0 if rep.failed is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
