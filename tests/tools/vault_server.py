#!/usr/bin/python3
"""A loopback HashiCorp Vault / OpenBao transit endpoint for tests.

Serves, over HTTPS on 127.0.0.1 with a self-signed certificate written to
--cert-dir (kms-cert.pem, as kms_server.py does):
  GET  /v1/<mount>/keys/<name>                 (read key: type, versions, PEM public keys)
  POST /v1/<mount>/sign/<name>[/<hash>]        (input or batch_input, prehashed,
                                                key_version, marshaling_algorithm, hash_algorithm)
and checks what Vault checks: the X-Vault-Token (403 "permission denied" without
the right one), the X-Vault-Namespace when started with --namespace, the mount,
the key name, the hash algorithm, the key version (400 when it does not exist),
base64 input; with prehashed, the digest length of the hash (stricter than Vault,
which would sign any length); without prehashed it hashes the input, as Vault does.
Signatures are "vault:vN:" + base64(ASN.1 DER), per item for batch_input.

Test controls (not part of Vault): POST /_control with a JSON object of faults,
GET /_stats, POST /_reset. Faults: throttle (share of requests answered 429
"rate limit quota exceeded"), throttle_first (that many requests answered 429),
retry_after (the Retry-After header of a 429, seconds), error500 (share answered
500), sealed (every request answered 503 "Vault is sealed"), latency_ms,
wrong_version (signatures labelled with another version than the one asked),
key_type (the type "read key" reports), deny_sign (sign answered 403),
revoke_after (after that many requests carrying AppRole tokens, every token
issued so far is revoked, once: the next is answered 403 "permission denied",
as Vault answers a revoked token), revoke_all (each AppRole token is revoked
at its first use).
Prints "READY <port>" on stdout when it accepts connections.
"""
import argparse
import base64
import binascii
import hashlib
import json
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kms_server import FakeState, QuietHandler, QuietServer, serve_tls  # noqa: E402

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, utils  # noqa: E402

TYPES = {"secp256r1": "ecdsa-p256", "secp384r1": "ecdsa-p384"}
HASHES = {"sha2-224": hashes.SHA224(), "sha2-256": hashes.SHA256(), "sha2-384": hashes.SHA384(),
          "sha2-512": hashes.SHA512()}


class State(FakeState):
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.token = args.token
        self.namespace = args.namespace
        self.mount = args.mount.strip("/")
        self.keys = {}  # name -> [private key of version 1, 2, ...]
        for spec in args.key:
            name, paths = spec.split("=", 1)
            self.keys[name] = []
            for path in paths.split(","):
                with open(path, "rb") as f:
                    self.keys[name].append(serialization.load_pem_private_key(f.read(), None))
        self.approle = args.approle.split(":", 1) if args.approle else None
        self.issued = {}  # AppRole client token -> when its lease ends
        self.faults = {}
        self.reset_stats()

    def reset_stats(self):
        self.stats = {"requests": 0, "sign_requests": 0, "batch_requests": 0, "sign": 0,
                      "read_key": 0, "throttled": 0, "errors500": 0, "max_batch": 0,
                      "denied": 0, "logins": 0, "revoked": 0, "sign_per_digest": {}}



class Handler(QuietHandler):
    server_version = "loopback-vault"

    def answer(self, status, obj, headers=()):
        self.send_body(status, json.dumps(obj).encode(),
                       [("Content-Type", "application/json"), ("Cache-Control", "no-store")] + list(headers))

    def errors(self, status, *msgs, headers=()):
        self.answer(status, {"errors": list(msgs)}, headers)

    def envelope(self, data):
        return {"request_id": str(uuid.uuid4()), "lease_id": "", "renewable": False,
                "lease_duration": 0, "data": data, "wrap_info": None, "warnings": None,
                "auth": None, "mount_type": "transit"}

    def do_GET(self):
        if not self.test_control("GET"):
            self.vault("GET", b"")

    def do_POST(self):
        body = self.read_body()
        if not self.test_control("POST", body):
            self.vault("POST", body)

    do_PUT = do_POST

    def authorised(self):
        st = self.server.state
        ns = self.headers.get("X-Vault-Namespace", "").strip("/")
        tok = self.headers.get("X-Vault-Token")
        with st.lock:
            issued = st.issued.get(tok, 0) > time.time()
            revoked = issued and self.revoke_now()
            if revoked:
                st.issued.clear()
                issued = False
        if revoked:
            st.count("revoked")
        if (tok != st.token and not issued) or (st.namespace or "") != ns:
            st.count("denied")
            self.errors(403, "permission denied")
            return False
        return True

    def revoke_now(self):
        """Whether the faults revoke the AppRole tokens now (under the lock)."""
        f = self.server.state.faults
        if f.get("revoke_all"):
            return True
        if "revoke_after" not in f:
            return False
        n = int(f["revoke_after"])
        if n > 0:
            f["revoke_after"] = n - 1
            return False
        del f["revoke_after"]
        return True

    def inject(self):
        st = self.server.state
        f = st.faults
        if f.get("latency_ms"):
            time.sleep(float(f["latency_ms"]) / 1000.0)
        if f.get("sealed"):
            self.errors(503, "Vault is sealed")
            return True
        throttled = False
        if int(f.get("throttle_first", 0) or 0) > 0:
            f["throttle_first"] = int(f["throttle_first"]) - 1
            throttled = True
        if throttled or st.chance("throttle"):
            st.count("throttled")
            hdr = [("Retry-After", str(f["retry_after"]))] if "retry_after" in f else []
            self.errors(429, 'request path "%s": rate limit quota exceeded' % self.path, headers=hdr)
            return True
        if st.chance("error500"):
            st.count("errors500")
            self.errors(500, "1 error occurred:\n\t* internal error\n\n")
            return True
        return False

    def vault(self, method, body):
        st = self.server.state
        st.count("requests")
        path = self.path.split("?", 1)[0]
        if not path.startswith("/v1/"):
            self.errors(404, "no handler for route")
            return
        if path == "/v1/auth/approle/login" and method == "POST":
            self.approle_login(body)
            return
        if not self.authorised() or self.inject():
            return
        parts = path[len("/v1/"):].split("/")
        mount = st.mount.split("/")
        if parts[:len(mount)] != mount or len(parts) < len(mount) + 2:
            self.errors(404, 'no handler for route "%s". route entry not found.' % path[4:])
            return
        op, rest = parts[len(mount)], parts[len(mount) + 1:]
        if op == "keys" and method == "GET" and len(rest) == 1:
            self.read_key(rest[0])
        elif op == "sign" and method == "POST" and len(rest) in (1, 2):
            self.sign(rest[0], rest[1] if len(rest) == 2 else None, body)
        else:
            self.errors(405, "unsupported operation")

    def approle_login(self, body):
        """auth/approle/login: role_id and secret_id buy a token with a lease."""
        st = self.server.state
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            self.errors(400, "failed to parse JSON input")
            return
        ns = self.headers.get("X-Vault-Namespace", "").strip("/")
        if not st.approle or [req.get("role_id"), req.get("secret_id")] != st.approle or \
                (st.namespace or "") != ns:
            st.count("denied")
            self.errors(400, "invalid role or secret ID")
            return
        tok = "hvs.approle-" + uuid.uuid4().hex
        ttl = st.args.approle_ttl
        with st.lock:
            st.issued[tok] = time.time() + ttl
            st.stats["logins"] += 1
        env = self.envelope(None)
        env["auth"] = {"client_token": tok, "accessor": uuid.uuid4().hex, "policies": ["default", "sign"],
                       "token_policies": ["default", "sign"], "metadata": {"role_name": "signer"},
                       "lease_duration": ttl, "renewable": True, "entity_id": str(uuid.uuid4()),
                       "token_type": "service", "orphan": True}
        env["mount_type"] = ""
        self.answer(200, env)

    def read_key(self, name):
        st = self.server.state
        versions = st.keys.get(name)
        if versions is None:
            self.errors(404)
            return
        st.count("read_key")
        keys = {}
        for i, priv in enumerate(versions, 1):
            pem = priv.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
            keys[str(i)] = {"certificate_chain": "", "creation_time": "2026-01-01T00:00:00Z",
                            "name": "P-%d" % priv.curve.key_size, "public_key": pem.decode()}
        ktype = st.faults.get("key_type", TYPES.get(versions[-1].curve.name, "unknown"))
        self.answer(200, self.envelope({
            "allow_plaintext_backup": False, "auto_rotate_period": 0, "deletion_allowed": False,
            "derived": False, "exportable": False, "imported_key": False, "keys": keys,
            "latest_version": len(versions), "min_available_version": 0,
            "min_decryption_version": 1, "min_encryption_version": 0, "name": name,
            "supports_decryption": False, "supports_derivation": False,
            "supports_encryption": False, "supports_signing": True, "type": ktype}))

    def sign(self, name, hash_path, body):
        st = self.server.state
        versions = st.keys.get(name)
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            self.errors(400, "failed to parse JSON input")
            return
        if versions is None:
            self.errors(400, "signing key not found")
            return
        if st.faults.get("deny_sign"):
            self.errors(403, "1 error occurred:\n\t* permission denied\n\n")
            return
        hname = hash_path or req.get("hash_algorithm") or "sha2-256"
        if hname not in HASHES:
            self.errors(400, "unsupported hash algorithm %s" % hname)
            return
        if req.get("marshaling_algorithm", "asn1") not in ("asn1", "jws"):
            self.errors(400, "invalid marshaling type %s" % req.get("marshaling_algorithm"))
            return
        ver = int(req.get("key_version", 0) or 0) or len(versions)
        if ver > len(versions) or ver < 1:
            self.errors(400, "requested version for signing does not exist")
            return
        batch = req.get("batch_input")
        st.count("sign_requests")
        if batch is not None:
            st.count("batch_requests")
            with st.lock:
                st.stats["max_batch"] = max(st.stats["max_batch"], len(batch))
            results = [self.sign_one(versions[ver - 1], ver, hname, req, item) for item in batch]
            self.answer(200, self.envelope({"batch_results": results}))
            return
        result = self.sign_one(versions[ver - 1], ver, hname, req, req)
        if "error" in result:
            self.errors(400, result["error"])
            return
        self.answer(200, self.envelope(result))

    def sign_one(self, priv, ver, hname, req, item):
        st = self.server.state
        try:
            data = base64.b64decode(item.get("input", ""), validate=True)
        except (binascii.Error, ValueError):
            return {"error": "unable to decode input as base64: illegal base64 data"}
        h = HASHES[hname]
        if req.get("prehashed"):
            if len(data) != h.digest_size:
                return {"error": "the input is not a %s digest (%d bytes, not %d)"
                        % (hname, len(data), h.digest_size)}
            digest = data
        else:
            digest = hashlib.new(h.name, data).digest()
        der = priv.sign(digest, ec.ECDSA(utils.Prehashed(h)))
        if req.get("marshaling_algorithm") == "jws":
            r, s = utils.decode_dss_signature(der)
            n = (priv.curve.key_size + 7) // 8
            der = r.to_bytes(n, "big") + s.to_bytes(n, "big")
        label = ver + 1 if st.faults.get("wrong_version") else ver
        st.count("sign")
        with st.lock:
            d = digest.hex()
            st.stats["sign_per_digest"][d] = st.stats["sign_per_digest"].get(d, 0) + 1
        out = {"signature": "vault:v%d:%s" % (label, base64.b64encode(der).decode()),
               "key_version": ver}
        if "reference" in item:
            out["reference"] = item["reference"]
        return out


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--key", action="append", default=[],
                   help="NAME=V1.pem[,V2.pem...]: a transit key and its versions")
    p.add_argument("--cert-dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--token", default="hvs.loopback-test-token")
    p.add_argument("--namespace", default=None)
    p.add_argument("--mount", default="transit")
    p.add_argument("--approle", default=None, help="ROLE_ID:SECRET_ID that auth/approle/login accepts")
    p.add_argument("--approle-ttl", type=int, default=3600, help="lease of an AppRole token, seconds")
    args = p.parse_args()
    serve_tls(QuietServer, Handler, State(args), args.cert_dir, args.port)


if __name__ == "__main__":
    main()
