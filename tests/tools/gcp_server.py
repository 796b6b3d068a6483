#!/usr/bin/python3
"""A loopback Google Cloud KMS with its OAuth token endpoint and a metadata
server, for tests.

Serves, over HTTPS on 127.0.0.1 with a self-signed certificate written to
--cert-dir (kms-cert.pem, as kms_server.py does):
  POST /token                          the JWT-bearer grant (RFC 7523) of a service account:
                                       the assertion's RS256 signature checked with the
                                       account's public key, its kid, iss, aud (this
                                       endpoint), scope (cloudkms or cloud-platform), iat, exp
  GET  /v1/{version name}/publicKey    {pem, pemCrc32c, algorithm, name, protectionLevel}
  POST /v1/{version name}:asymmetricSign   {digest: {sha256 | sha384}, digestCrc32c}
and, with --metadata, plain HTTP on another loopback port (its number in
--cert-dir/metadata-port), as the GCE metadata server:
  GET  /computeMetadata/v1/instance/service-accounts/default/token   (Metadata-Flavor: Google)
--service-account EMAIL writes --cert-dir/sa.json (the account's JSON key, its token_uri
this endpoint) and sa-other.json (the same account with a key it does not have).

Checks what Cloud KMS checks: a bearer token this fake issued (or --access-token),
else 401 UNAUTHENTICATED; the key version exists (404 NOT_FOUND); the digest field
and length of the version's algorithm (400 INVALID_ARGUMENT); digestCrc32c (400 when
it does not match; verifiedDigestCrc32c false when it is absent).

Test controls (not part of Google): POST /_control with a JSON object of faults,
GET /_stats, POST /_reset. Faults: throttle (share of KMS requests answered 429
RESOURCE_EXHAUSTED), throttle_first (that many answered 429), error500 (share answered
500 INTERNAL or 503 UNAVAILABLE), latency_ms, bad_crc (that many sign answers, or
true: all, with a wrong signatureCrc32c), bad_pem_crc (the same for publicKey),
wrong_name (sign answers naming another version), unverified (sign answers with
verifiedDigestCrc32c false), deny_sign (403 PERMISSION_DENIED), revoke_tokens (every
token issued so far is refused from now on), revoke_after (the same, after that many
signatures). Prints "READY <port>" on stdout when it accepts connections.
"""
import argparse
import base64
import binascii
import json
import os
import random
import re
import sys
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kms_server import FakeState, QuietHandler, QuietServer, serve_tls  # noqa: E402

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils  # noqa: E402

ALGORITHMS = {"secp256r1": ("EC_SIGN_P256_SHA256", "sha256", hashes.SHA256()),
              "secp384r1": ("EC_SIGN_P384_SHA384", "sha384", hashes.SHA384()),
              "secp256k1": ("EC_SIGN_SECP256K1_SHA256", "sha256", hashes.SHA256())}
SCOPES = ("https://www.googleapis.com/auth/cloudkms", "https://www.googleapis.com/auth/cloud-platform")
VERSION = re.compile(r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+/cryptoKeyVersions/[^/]+$")


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def proto_bytes(s):
    """A bytes field of proto3 JSON: base64, standard or URL-safe (gcloud sends the latter), padded or not."""
    if not isinstance(s, str) or not re.match(r"^[A-Za-z0-9+/_-]*=*$", s):
        raise ValueError("not base64")
    s = s.rstrip("=").replace("-", "+").replace("_", "/")
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


def unb64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class State(FakeState):
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.keys = {}  # version name -> private key
        for spec in args.key:
            name, path = spec.split("=", 1)
            with open(path, "rb") as f:
                self.keys[name] = serialization.load_pem_private_key(f.read(), None)
        self.sa_key = rsa.generate_private_key(65537, 2048) if args.service_account else None
        self.sa_key_id = uuid.uuid4().hex
        self.tokens = set([args.access_token]) if args.access_token else set()
        self.revoked = set()
        self.faults = {}
        self.reset_stats()

    def reset_stats(self):
        self.stats = {"requests": 0, "sign": 0, "get_public_key": 0, "token": 0, "metadata": 0,
                      "throttled": 0, "errors500": 0, "unauthorized": 0, "sign_per_digest": {}}


    def take(self, name):
        """A counted fault: true (always) or a number of answers, spent one by one."""
        with self.lock:
            v = self.faults.get(name)
            if v is True:
                return True
            if isinstance(v, int) and v > 0:
                self.faults[name] = v - 1
                return True
        return False

    def issue(self):
        tok = "ya29.loopback-" + uuid.uuid4().hex
        with self.lock:
            self.tokens.add(tok)
            self.stats["token"] += 1
        return tok


def write_service_account(state, cert_dir, port):
    """sa.json (the account's key) and sa-other.json (a key the account does not have)."""
    other = rsa.generate_private_key(65537, 2048)
    for fname, key, kid in (("sa.json", state.sa_key, state.sa_key_id), ("sa-other.json", other, uuid.uuid4().hex)):
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        doc = {"type": "service_account", "project_id": "loopback-project", "private_key_id": kid,
               "private_key": pem, "client_email": state.args.service_account,
               "client_id": "104619489230423578123", "auth_uri": "https://accounts.google.com/o/oauth2/auth",
               "token_uri": "https://127.0.0.1:%d/token" % port,
               "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
               "universe_domain": "googleapis.com"}
        path = os.path.join(cert_dir, fname)
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
        os.chmod(path, 0o600)


class Base(QuietHandler):
    def answer(self, status, obj, headers=()):
        self.send_body(status, json.dumps(obj).encode(),
                       [("Content-Type", "application/json; charset=UTF-8")] + list(headers))


class Metadata(Base):
    server_version = "Metadata Server for VM"

    def do_GET(self):
        st = self.server.state
        u = urlsplit(self.path)
        if self.headers.get("Metadata-Flavor") != "Google":
            self.send_body(403, b"Missing required header: Metadata-Flavor\n",
                           [("Content-Type", "text/plain; charset=utf-8")])
            return
        if u.path != "/computeMetadata/v1/instance/service-accounts/default/token":
            self.answer(404, {"error": "not found"}, [("Metadata-Flavor", "Google")])
            return
        st.count("metadata")
        self.answer(200, {"access_token": st.issue(), "expires_in": 3599, "token_type": "Bearer"},
                    [("Metadata-Flavor", "Google")])


class Handler(Base):
    server_version = "ESF"

    def error(self, status, code, message, headers=()):
        self.answer(status, {"error": {"code": status, "message": message, "status": code}}, headers)

    def oauth_error(self, code, desc, status=400):
        self.answer(status, {"error": code, "error_description": desc})

    def do_GET(self):
        if not self.test_control("GET"):
            self.kms("GET", unquote(urlsplit(self.path).path), b"")

    def do_POST(self):
        u = urlsplit(self.path)
        body = self.read_body()
        if self.test_control("POST", body):
            pass
        elif u.path == "/token":
            self.token(body)
        else:
            self.kms("POST", unquote(u.path), body)

    # ---- OAuth 2.0 (oauth2.googleapis.com/token) ----

    def token(self, body):
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            self.oauth_error("unsupported_grant_type", "Invalid grant_type: %s" % form.get("grant_type", ""))
            return
        why = self.check_assertion(form.get("assertion", ""))
        if why:
            self.oauth_error(*why)
            return
        self.answer(200, {"access_token": self.server.state.issue(), "expires_in": 3599, "token_type": "Bearer"})

    def check_assertion(self, jwt):
        """The assertion as Google's token endpoint checks it: None, or (error, description)."""
        st = self.server.state
        if st.sa_key is None or jwt.count(".") != 2:
            return ("invalid_grant", "Invalid JWT: the assertion is not a JWT.")
        h64, c64, s64 = jwt.split(".")
        try:
            header, claims = json.loads(unb64url(h64)), json.loads(unb64url(c64))
            sig = unb64url(s64)
        except (ValueError, binascii.Error):
            return ("invalid_grant", "Invalid JWT: the assertion is malformed.")
        if claims.get("iss") != st.args.service_account:
            return ("invalid_grant", "Invalid grant: account not found")
        if header.get("alg") != "RS256" or header.get("kid", st.sa_key_id) != st.sa_key_id:
            return ("invalid_grant", "Invalid JWT Signature.")
        try:
            st.sa_key.public_key().verify(sig, ("%s.%s" % (h64, c64)).encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return ("invalid_grant", "Invalid JWT Signature.")
        aud = "https://%s/token" % self.headers.get("Host")
        if claims.get("aud") != aud:
            return ("invalid_grant", "Invalid JWT: Failed audience check. The right audience is %s" % aud)
        now = time.time()
        iat, exp = claims.get("iat", 0), claims.get("exp", 0)
        if not (iat <= now + 60 and now < exp and exp - iat <= 3600):
            return ("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                    "reasonable timeframe. Check your iat and exp values in the JWT claim.")
        if not set(str(claims.get("scope", "")).split()) & set(SCOPES):
            return ("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        return None

    # ---- Cloud KMS ----

    def authorised(self):
        st = self.server.state
        auth = self.headers.get("Authorization", "")
        tok = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        with st.lock:
            ok = tok in st.tokens and tok not in st.revoked
        if not ok:
            st.count("unauthorized")
            self.error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 "
                       "access token, login cookie or other valid authentication credential. See "
                       "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                       [("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/", error="invalid_token"')])
        return ok

    def inject(self):
        st = self.server.state
        f = st.faults
        if f.get("latency_ms"):
            time.sleep(float(f["latency_ms"]) / 1000.0)
        if st.take("throttle_first") or st.chance("throttle"):
            st.count("throttled")
            self.error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Cryptographic requests' and "
                       "limit 'Cryptographic requests per minute per region' of service 'cloudkms.googleapis.com' "
                       "for consumer 'project_number:123456789012'.")
            return True
        if st.chance("error500"):
            st.count("errors500")
            if random.random() < 0.5:
                self.error(500, "INTERNAL", "Internal error encountered.")
            else:
                self.error(503, "UNAVAILABLE", "The service is currently unavailable.")
            return True
        return False

    def kms(self, method, path, body):
        st = self.server.state
        st.count("requests")
        m = re.match(r"^/v1/(.+?)(/publicKey|:asymmetricSign)$", path)
        if not m:
            self.error(404, "NOT_FOUND", "The requested URL %s was not found on this server." % path)
            return
        if not self.authorised() or self.inject():
            return
        name, op = m.group(1), m.group(2)
        key = st.keys.get(name)
        if not VERSION.match(name):
            self.error(400, "INVALID_ARGUMENT", "Resource name [%s] does not match any known type." % name)
        elif key is None:
            self.error(404, "NOT_FOUND", "%s not found." % name)
        elif op == "/publicKey" and method == "GET":
            self.public_key(name, key)
        elif op == ":asymmetricSign" and method == "POST":
            self.sign(name, key, body)
        else:
            self.error(405, "METHOD_NOT_ALLOWED", "Method not allowed.")

    def public_key(self, name, priv):
        st = self.server.state
        st.count("get_public_key")
        pem = priv.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        crc = crc32c(pem.encode()) ^ (1 if st.take("bad_pem_crc") else 0)
        self.answer(200, {"pem": pem, "algorithm": ALGORITHMS[priv.curve.name][0], "pemCrc32c": str(crc),
                          "name": name, "protectionLevel": "HSM"})

    def sign(self, name, priv, body):
        st = self.server.state
        algorithm, field, h = ALGORITHMS[priv.curve.name]
        try:
            req = json.loads(body or b"{}")
            digests = req.get("digest") or {}
            digest = proto_bytes(digests.get(field, ""))
        except (ValueError, binascii.Error, AttributeError):
            self.error(400, "INVALID_ARGUMENT", "Invalid value at 'digest' (base64 expected).")
            return
        if list(digests) != [field]:
            self.error(400, "INVALID_ARGUMENT", "The request digest type %s is incompatible with key algorithm %s."
                       % ("/".join(sorted(digests)).upper() or "(none)", algorithm))
            return
        if len(digest) != h.digest_size:
            self.error(400, "INVALID_ARGUMENT", "Digest is not of the right length for the algorithm %s: %d bytes."
                       % (algorithm, len(digest)))
            return
        verified = "digestCrc32c" in req
        if verified and int(req["digestCrc32c"]) != crc32c(digest):
            self.error(400, "INVALID_ARGUMENT", "The checksum in field digest_crc32c did not match the data in "
                       "field digest.")
            return
        if st.faults.get("deny_sign"):
            self.error(403, "PERMISSION_DENIED", "Permission 'cloudkms.cryptoKeyVersions.useToSign' denied on "
                       "resource '%s' (or it may not exist)." % name)
            return
        der = priv.sign(digest, ec.ECDSA(utils.Prehashed(h)))
        with st.lock:
            st.stats["sign"] += 1
            if st.faults.get("revoke_after") == st.stats["sign"]:
                st.revoked = set(st.tokens)
            d = digest.hex()
            st.stats["sign_per_digest"][d] = st.stats["sign_per_digest"].get(d, 0) + 1
        if st.take("unverified"):
            verified = False
        crc = crc32c(der) ^ (1 if st.take("bad_crc") else 0)
        answer_name = re.sub(r"/(\d+)$", lambda v: "/%d" % (int(v.group(1)) + 1), name) if st.take("wrong_name") else name
        self.answer(200, {"signature": base64.b64encode(der).decode(), "signatureCrc32c": str(crc),
                          "verifiedDigestCrc32c": verified, "name": answer_name, "protectionLevel": "HSM"})


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--key", action="append", default=[],
                   help="projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N=KEY.pem")
    p.add_argument("--cert-dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--access-token", default=None, help="a token accepted as if issued (gcloud's)")
    p.add_argument("--service-account", default=None, help="EMAIL: write sa.json and sa-other.json")
    p.add_argument("--metadata", action="store_true", help="serve the metadata server too")
    args = p.parse_args()
    state = State(args)

    def ready(srv):
        if args.service_account:
            write_service_account(state, args.cert_dir, srv.server_address[1])
        if args.metadata:
            md = ThreadingHTTPServer(("127.0.0.1", 0), Metadata)
            md.daemon_threads = True
            md.state = state
            threading.Thread(target=md.serve_forever, daemon=True).start()
            with open(os.path.join(args.cert_dir, "metadata-port"), "w") as f:
                f.write("%d\n" % md.server_address[1])

    serve_tls(QuietServer, Handler, state, args.cert_dir, args.port, ready=ready)


if __name__ == "__main__":
    main()
