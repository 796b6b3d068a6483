#!/usr/bin/python3
"""A loopback Azure Key Vault (or Managed HSM) with its Microsoft Entra ID token
endpoint and a managed identity (IMDS) endpoint, for tests.

Serves, over HTTPS on 127.0.0.1 with a self-signed certificate written to
--cert-dir (kms-cert.pem, as kms_server.py does):
  POST /<tenant>/oauth2/v2.0/token        client-credentials grant: client_secret, or a
                                          client_assertion: workload identity's token, or a
                                          certificate's JWT (RS256 + x5t or PS256 + x5t#S256, aud, iss, sub, exp and
                                          the signature checked against --client-cert); scope checked
  GET  /<tenant>/v2.0/.well-known/openid-configuration   (what MSAL reads first)
  GET  /metadata/identity/oauth2/token    managed identity (Metadata: true, resource)
  GET  /msi/token                         App Service identity (X-IDENTITY-HEADER, api-version 2019-08-01)
  GET  /keys/<name>/<version>?api-version=7.x|YYYY-MM-DD           the key as a JWK
  POST /keys/<name>/<version>/sign?api-version=(same)      {"alg": "ES256"|"ES384", "value": b64url}
and checks what Key Vault checks: a bearer token this endpoint issued for the
vault's audience (--kind vault: https://vault.azure.net, managedhsm:
https://managedhsm.azure.net), else 401 with the WWW-Authenticate challenge the
Azure SDKs follow; the api-version; the key name and version; the algorithm of
the key's curve; the digest length. Signatures are raw r||s, base64url.

Test controls (not part of Azure): POST /_control with a JSON object of faults,
GET /_stats, POST /_reset. Faults: throttle (share of vault requests answered 429
"Throttled"), throttle_first (that many answered 429), retry_after (the
Retry-After header of a 429, seconds), error500 (share answered 500/503),
latency_ms, wrong_kid (the sign answer names another version), deny_sign (403
ForbiddenByRbac), revoke_tokens (every token issued so far is refused from now on),
revoke_after (the same, after that many signatures).
Prints "READY <port>" on stdout when it accepts connections.
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
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kms_server import FakeState, QuietHandler, QuietServer, serve_tls  # noqa: E402

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils  # noqa: E402

CURVES = {"secp256r1": ("P-256", "ES256", hashes.SHA256()),
          "secp384r1": ("P-384", "ES384", hashes.SHA384())}
AUDIENCE = {"vault": "https://vault.azure.net", "managedhsm": "https://managedhsm.azure.net"}


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class State(FakeState):
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.audience = AUDIENCE[args.kind]
        self.keys = {}  # (name, version) -> private key
        for spec in args.key:
            name, versions = spec.split("=", 1)
            for item in versions.split(","):
                ver, path = item.split(":", 1)
                with open(path, "rb") as f:
                    self.keys[(name, ver)] = serialization.load_pem_private_key(f.read(), None)
        self.cert = None
        if args.client_cert:
            with open(args.client_cert, "rb") as f:
                self.cert = x509.load_pem_x509_certificate(f.read())
        self.tokens = {}  # access token -> audience
        self.revoked = set()
        self.faults = {}
        self.reset_stats()

    def reset_stats(self):
        self.stats = {"requests": 0, "sign": 0, "get_key": 0, "token": 0, "imds": 0,
                      "throttled": 0, "errors500": 0, "unauthorized": 0, "sign_per_digest": {}}


    def issue(self, audience):
        tok = "loopback-aad." + uuid.uuid4().hex
        with self.lock:
            self.tokens[tok] = audience
            self.stats["token"] += 1
        return tok


class Handler(QuietHandler):
    server_version = "loopback-azure"

    def answer(self, status, obj, headers=()):
        self.send_body(status, json.dumps(obj).encode(), [("Content-Type", "application/json; charset=utf-8"),
                                                          ("x-ms-request-id", str(uuid.uuid4()))] + list(headers))

    def kv_error(self, status, code, message, headers=()):
        self.answer(status, {"error": {"code": code, "message": message}}, headers)

    def aad_error(self, status, code, desc):
        self.answer(status, {"error": code, "error_description": desc, "error_codes": [7000215],
                             "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
                             "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())})

    def do_GET(self):
        u = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        if self.test_control("GET"):
            pass
        elif u.path.endswith("/v2.0/.well-known/openid-configuration"):
            self.openid(u.path.split("/")[1])
        elif u.path.rstrip("/") == "/metadata/identity/oauth2/token":  # MSAL adds a slash
            self.imds(q)
        elif u.path == "/msi/token":
            self.app_service(q)
        else:
            self.vault("GET", u.path, q, b"")

    def do_POST(self):
        u = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        body = self.read_body()
        if self.test_control("POST", body):
            pass
        elif u.path.endswith("/oauth2/v2.0/token"):
            self.token(u.path.split("/")[1], body)
        else:
            self.vault("POST", u.path, q, body)

    # ---- Microsoft Entra ID ----

    def base(self):
        return "https://%s" % self.headers.get("Host")

    def openid(self, tenant):
        b = self.base()
        self.answer(200, {
            "token_endpoint": "%s/%s/oauth2/v2.0/token" % (b, tenant),
            "authorization_endpoint": "%s/%s/oauth2/v2.0/authorize" % (b, tenant),
            "device_authorization_endpoint": "%s/%s/oauth2/v2.0/devicecode" % (b, tenant),
            "end_session_endpoint": "%s/%s/oauth2/v2.0/logout" % (b, tenant),
            "issuer": "%s/%s/v2.0" % (b, tenant), "jwks_uri": "%s/%s/discovery/v2.0/keys" % (b, tenant),
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "subject_types_supported": ["pairwise"], "scopes_supported": ["openid", "profile", "email",
                                                                          "offline_access"],
            "id_token_signing_alg_values_supported": ["RS256"], "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com"})

    def token(self, tenant, body):
        st = self.server.state
        a = st.args
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if tenant != a.tenant:
            self.aad_error(400, "invalid_tenant", "AADSTS90002: Tenant '%s' not found." % tenant)
            return
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != a.client_id:
            self.aad_error(400, "unauthorized_client", "AADSTS700016: Application with identifier "
                           "'%s' was not found in the directory." % form.get("client_id"))
            return
        secret_ok = "client_secret" in form and form["client_secret"] == a.client_secret
        assertion = form.get("client_assertion", "")
        jwt_bearer = form.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        if jwt_bearer and st.cert is not None and assertion.count(".") == 2 and assertion != a.assertion:
            why = self.check_jwt(tenant, assertion)
            if why:
                self.aad_error(401, "invalid_client", why)
                return
            assertion_ok = True
        else:
            assertion_ok = jwt_bearer and assertion == a.assertion
        if not (secret_ok or assertion_ok):
            self.aad_error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided. "
                           "Ensure the secret being sent in the request is the client secret value.")
            return
        scope = form.get("scope", "")
        aud = scope[:-len("/.default")] if scope.endswith("/.default") else None
        if aud not in AUDIENCE.values():
            self.aad_error(400, "invalid_scope", "AADSTS70011: The provided value for the input "
                           "parameter 'scope' is not valid. The scope %s is not valid." % scope)
            return
        self.answer(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                          "access_token": st.issue(aud)})

    def check_jwt(self, tenant, jwt):
        """A certificate credential's client assertion, as Entra ID checks it."""
        st = self.server.state
        h64, p64, s64 = jwt.split(".")
        try:
            header, claims = json.loads(unb64url(h64)), json.loads(unb64url(p64))
        except ValueError:
            return "AADSTS50027: JWT token is invalid or malformed."
        # RS256 with the SHA-1 thumbprint (x5t), or PS256 with the SHA-256 one (x5t#S256, MSAL's)
        if header.get("alg") == "RS256":
            pad, ok = padding.PKCS1v15(), header.get("x5t") == b64url(st.cert.fingerprint(hashes.SHA1()))
        elif header.get("alg") == "PS256":
            pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            ok = header.get("x5t#S256") == b64url(st.cert.fingerprint(hashes.SHA256()))
        else:
            ok = False
        if not ok:
            return ("AADSTS700027: The certificate with identifier used to sign the client assertion "
                    "is not registered on application.")
        now = time.time()
        if (claims.get("aud") != "%s/%s/oauth2/v2.0/token" % (self.base(), tenant) or
                claims.get("iss") != st.args.client_id or claims.get("sub") != st.args.client_id or
                not claims.get("jti") or not claims.get("nbf", now + 1e9) <= now + 60 or
                not now < claims.get("exp", 0) <= now + 3600):
            return "AADSTS700024: Client assertion is not within its valid time range or has wrong claims."
        try:
            st.cert.public_key().verify(unb64url(s64), ("%s.%s" % (h64, p64)).encode(), pad, hashes.SHA256())
        except InvalidSignature:
            return "AADSTS7000274: Client assertion failed signature validation."
        return None

    def imds(self, q):
        st = self.server.state
        if not st.args.managed_identity:
            self.answer(400, {"error": "invalid_request", "error_description": "Identity not found"})
            return
        if self.headers.get("Metadata") != "true":
            self.answer(400, {"error": "invalid_request",
                              "error_description": "Required metadata header not specified"})
            return
        res = q.get("resource", "").rstrip("/")
        if res not in AUDIENCE.values():
            self.answer(400, {"error": "invalid_resource", "error_description": "AADSTS500011"})
            return
        st.count("imds")
        now = int(time.time())
        self.answer(200, {"access_token": st.issue(res), "client_id": q.get("client_id", "mi-client"),
                          "expires_in": "86399", "expires_on": str(now + 86399), "ext_expires_in": "86399",
                          "not_before": str(now), "resource": res, "token_type": "Bearer"})

    def app_service(self, q):
        """App Service / Functions identity endpoint (api-version 2019-08-01)."""
        st = self.server.state
        if not st.args.app_service_secret or self.headers.get("X-IDENTITY-HEADER") != st.args.app_service_secret:
            self.answer(401, {"statusCode": 401, "message": "X-IDENTITY-HEADER is missing or wrong"})
            return
        res = q.get("resource", "").rstrip("/")
        if q.get("api-version") != "2019-08-01" or res not in AUDIENCE.values():
            self.answer(400, {"statusCode": 400, "message": "api-version 2019-08-01 and a resource are required"})
            return
        st.count("imds")
        self.answer(200, {"access_token": st.issue(res), "expires_on": str(int(time.time()) + 86399),
                          "resource": res, "token_type": "Bearer", "client_id": q.get("client_id", "mi-client")})

    # ---- Key Vault ----

    def challenge(self):
        st = self.server.state
        st.count("unauthorized")
        hdr = 'Bearer authorization="https://login.microsoftonline.com/%s", resource="%s"' % (
            st.args.tenant, st.audience)
        self.kv_error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.",
                      headers=[("WWW-Authenticate", hdr)])

    def authorised(self):
        st = self.server.state
        auth = self.headers.get("Authorization", "")
        tok = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        if tok is None:
            self.challenge()
            return False
        with st.lock:
            aud = st.tokens.get(tok)
            revoked = tok in st.revoked
        if aud is None or revoked:
            st.count("unauthorized")
            self.kv_error(401, "Unauthorized", "AKV10032: Invalid issuer or token expired.",
                          headers=[("WWW-Authenticate", 'Bearer authorization="https://login.microsoftonline.com/%s", '
                                    'resource="%s"' % (st.args.tenant, st.audience))])
            return False
        if aud != st.audience:
            st.count("unauthorized")
            self.kv_error(401, "Unauthorized", "AKV10022: Invalid audience. Expected %s, found: %s."
                          % (st.audience, aud))
            return False
        return True

    def inject(self):
        st = self.server.state
        f = st.faults
        if f.get("latency_ms"):
            time.sleep(float(f["latency_ms"]) / 1000.0)
        throttled = False
        if int(f.get("throttle_first", 0) or 0) > 0:
            f["throttle_first"] = int(f["throttle_first"]) - 1
            throttled = True
        if throttled or st.chance("throttle"):
            st.count("throttled")
            hdr = [("Retry-After", str(f["retry_after"]))] if "retry_after" in f else []
            self.kv_error(429, "Throttled", "Request was not processed because too many requests were "
                          "received. Reason: VaultRequestTypeLimitReached", headers=hdr)
            return True
        if st.chance("error500"):
            st.count("errors500")
            if random.random() < 0.5:
                self.kv_error(500, "InternalServerError", "An unexpected error occurred.")
            else:
                self.kv_error(503, "ServiceUnavailable", "The service is temporarily unavailable.")
            return True
        return False

    def vault(self, method, path, q, body):
        st = self.server.state
        st.count("requests")
        if not re.match(r"^(7\.[0-9]+|20[0-9]{2}-[0-9]{2}-[0-9]{2})(-preview)?$", q.get("api-version", "")):
            self.kv_error(400, "BadParameter", "The 'api-version' query parameter is missing or unknown")
            return
        if not self.authorised() or self.inject():
            return
        parts = path.strip("/").split("/")
        if len(parts) == 2 and method == "GET":
            parts.append("")
        if len(parts) < 3 or parts[0] != "keys":
            self.kv_error(404, "NotFound", "no such path")
            return
        if not parts[2]:  # no version: the latest (the last one given)
            parts[2] = ([v for (n, v) in st.keys if n == parts[1]] or [""])[-1]
        key = st.keys.get((parts[1], parts[2]))
        if key is None:
            self.kv_error(404, "KeyNotFound", "A key with (name/id) %s/%s was not found in this key "
                          "vault. If you recently deleted this key you may be able to recover it using "
                          "the correct recovery command." % (parts[1], parts[2]))
            return
        if method == "GET" and len(parts) == 3:
            self.get_key(parts[1], parts[2], key)
        elif method == "POST" and len(parts) == 4 and parts[3] == "sign":
            self.sign(parts[1], parts[2], key, body)
        else:
            self.kv_error(405, "MethodNotAllowed", "unsupported operation")

    def kid(self, name, ver):
        return "%s/keys/%s/%s" % (self.base(), name, ver)

    def get_key(self, name, ver, priv):
        st = self.server.state
        st.count("get_key")
        nums = priv.public_key().public_numbers()
        n = (priv.curve.key_size + 7) // 8
        crv = CURVES[priv.curve.name][0]
        kty = "EC-HSM" if st.args.kind == "managedhsm" else "EC"
        self.answer(200, {"key": {"kid": self.kid(name, ver), "kty": kty, "key_ops": ["sign", "verify"],
                                  "crv": crv, "x": b64url(nums.x.to_bytes(n, "big")),
                                  "y": b64url(nums.y.to_bytes(n, "big"))},
                          "attributes": {"enabled": True, "created": 1767225600, "updated": 1767225600,
                                         "recoveryLevel": "Recoverable+Purgeable",
                                         "recoverableDays": 90, "exportable": False},
                          "tags": {}})

    def sign(self, name, ver, priv, body):
        st = self.server.state
        try:
            req = json.loads(body or b"{}")
            digest = unb64url(req.get("value", ""))
        except (ValueError, binascii.Error):
            self.kv_error(400, "BadParameter", "Property 'value' is not base64url")
            return
        crv, alg, h = CURVES[priv.curve.name]
        if req.get("alg") != alg:
            self.kv_error(400, "BadParameter", "Invalid algorithm %s for key type EC with curve %s"
                          % (req.get("alg"), crv))
            return
        if len(digest) != h.digest_size:
            self.kv_error(400, "BadParameter", "Invalid length of 'value' for algorithm %s: %d bytes"
                          % (alg, len(digest)))
            return
        if st.faults.get("deny_sign"):
            self.kv_error(403, "Forbidden", "Caller is not authorized to perform action on resource. "
                          "Action: 'Microsoft.KeyVault/vaults/keys/sign/action' (ForbiddenByRbac)")
            return
        der = priv.sign(digest, ec.ECDSA(utils.Prehashed(h)))
        r, s = utils.decode_dss_signature(der)
        n = (priv.curve.key_size + 7) // 8
        st.count("sign")
        with st.lock:
            if st.faults.get("revoke_after") == st.stats["sign"]:
                st.revoked = set(st.tokens)
            d = digest.hex()
            st.stats["sign_per_digest"][d] = st.stats["sign_per_digest"].get(d, 0) + 1
        kid_ver = ver + "0" if st.faults.get("wrong_kid") else ver
        self.answer(200, {"kid": self.kid(name, kid_ver),
                          "value": b64url(r.to_bytes(n, "big") + s.to_bytes(n, "big"))})


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--key", action="append", default=[],
                   help="NAME=VERSION:KEY.pem[,VERSION:KEY.pem...]")
    p.add_argument("--cert-dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--kind", choices=sorted(AUDIENCE), default="vault")
    p.add_argument("--tenant", default="72f988bf-86f1-41af-91ab-2d7cd011db47")
    p.add_argument("--client-id", default="0b5ad4b0-6f3c-4a2e-9d0c-1f2e3d4c5b6a")
    p.add_argument("--client-secret", default="loopback-client-secret~value")
    p.add_argument("--assertion", default="loopback.federated.token")
    p.add_argument("--managed-identity", action="store_true")
    p.add_argument("--app-service-secret", default=None, help="the X-IDENTITY-HEADER App Service expects")
    p.add_argument("--client-cert", default=None, help="PEM certificate registered for the client")
    args = p.parse_args()
    # names under .localhost resolve to 127.0.0.1 in libcurl: a Managed HSM host for tests
    serve_tls(QuietServer, Handler, State(args), args.cert_dir, args.port,
              ["*.managedhsm.localhost", "*.vault.localhost"])


if __name__ == "__main__":
    main()
