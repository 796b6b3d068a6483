#!/usr/bin/python3
"""A loopback AWS KMS endpoint for tests and the demo.

Speaks the KMS JSON protocol (TrentService.Sign with DIGEST or RAW,
TrentService.GetPublicKey) over HTTPS on 127.0.0.1 with a self-signed
certificate it writes to --cert-dir. Every request's SigV4 signature is
recomputed with botocore's own SigV4Auth (Debian python3-botocore, run with
/usr/bin/python3) and a mismatch is answered the way AWS answers it.

Test controls (not part of KMS): POST /_control with a JSON object of faults,
GET /_stats for counters, POST /_reset to clear counters.
Faults: throttle (share of requests answered ThrottlingException),
throttle_first (that many requests throttled, then none), error500
(share answered 500), latency_ms, reset (share of connections dropped without
an answer), malformed (share answered with broken JSON), wrong_key (sign with
another key than GetPublicKey shows), short_rs ("r", "s" or "both": every
signature has that half with a leading zero byte), short_share (share of
signatures forced short), rate_limit (requests/s above which Sign is
throttled), expire_token_once (answer ExpiredTokenException once), expire_token_times
(that many requests answered ExpiredTokenException), signature_expired,
access_denied (answer every request so), key_spec (the KeySpec GetPublicKey reports),
fail_sign_after (Sign calls after that many successful ones are denied),
skew_seconds (the server's clock, in its checks and its Date header, runs that far ahead).
Like KMS, it refuses a request signed for another region than its own, one whose
SignedHeaders lack host, x-amz-date, x-amz-target or content-type, and one without the
session token it was started with (--token); it answers ListKeys.
Prints "READY <port>" on stdout when it accepts connections.
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import random
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.x509.oid import NameOID

ACCOUNT = "111122223333"


class FakeState:
    """The counters and faults of a loopback fake (self.lock, self.stats, self.faults)."""

    def count(self, key, n=1):
        with self.lock:
            self.stats[key] += n

    def chance(self, name):
        share = float(self.faults.get(name, 0) or 0)
        return share > 0 and random.random() < share

    def set_faults(self, faults):
        self.faults = faults
        if faults.get("revoke_tokens") and hasattr(self, "tokens"):
            with self.lock:
                self.revoked = set(self.tokens)  # every token issued so far


class State(FakeState):
    def __init__(self, args):
        self.lock = threading.Lock()
        self.access_key = args.access_key
        self.secret_key = args.secret_key
        self.token = args.token
        self.region = args.region
        self.web_identity = args.web_identity
        self.keys = {}      # every accepted KeyId -> (arn, private key)
        self.other = ec.generate_private_key(ec.SECP256R1())
        for spec in args.key:
            name, path = spec.split("=", 1)
            with open(path, "rb") as f:
                priv = serialization.load_pem_private_key(f.read(), None)
            kid = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
            arn = "arn:aws:kms:%s:%s:key/%s" % (self.region, ACCOUNT, kid)
            for alias in (kid, arn, "alias/" + name,
                          "arn:aws:kms:%s:%s:alias/%s" % (self.region, ACCOUNT, name)):
                self.keys[alias] = (arn, priv)
        self.faults = {}
        self.reset_stats()

    def reset_stats(self):
        self.stats = {"requests": 0, "sign": 0, "get_public_key": 0, "throttled": 0,
                      "errors500": 0, "resets": 0, "malformed": 0, "bad_signature": 0,
                      "connections": 0, "raw_sign": 0, "sts": 0, "expired_token": 0,
                      "sign_per_digest": {}}
        self.window = []

    def credentials(self, access_key, service):
        """(secret key, session token or None) of an access key this endpoint
        accepts for service ("kms"), or None. sts_server.py adds the ones it issues."""
        if access_key == self.access_key:
            return self.secret_key, self.token
        return None

    def expired(self, access_key):
        """Whether the session of access_key has expired (issued ones only)."""
        return False

    def skew(self):
        return float(self.faults.get("skew_seconds", 0) or 0)


def make_cert(cert_dir, dns_names=()):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    import ipaddress
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")] +
                [x509.DNSName(n) for n in dns_names]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(cert_dir, "kms-cert.pem")
    key_path = os.path.join(cert_dir, "kms-key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def parse_authorization(value):
    if not value or not value.startswith("AWS4-HMAC-SHA256 "):
        return None
    parts = {}
    for item in value[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = item.strip().partition("=")
        parts[k] = v
    try:
        ak, date, region, service, term = parts["Credential"].split("/")
    except (KeyError, ValueError):
        return None
    return {"access_key": ak, "date": date, "region": region, "service": service,
            "signed_headers": parts.get("SignedHeaders", ""), "signature": parts.get("Signature", "")}


class QuietHandler(BaseHTTPRequestHandler):
    """The loopback fakes' handler base: HTTP/1.1 keep-alive, no log."""
    protocol_version = "HTTP/1.1"
    # headers and body are separate writes: with Nagle on, each answer waits
    # ~40 ms for the client's delayed ACK (measured by make bench)
    disable_nagle_algorithm = True

    def send_body(self, status, body, headers=()):
        """One answer: the status, the headers given, Content-Length and body (bytes)."""
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def test_control(self, method, body=b""):
        """The test controls (no service has them): GET /_stats, POST /_control (the
        faults), POST /_reset (the counters). True when the request was one (answered)."""
        st = self.server.state
        path = self.path.split("?", 1)[0]
        if method == "GET" and path == "/_stats":
            with st.lock:
                out = json.dumps(st.stats).encode()
        elif method == "POST" and path == "/_control":
            st.set_faults(json.loads(body or b"{}"))
            out = b'{"ok": true}'
        elif method == "POST" and path == "/_reset":
            with st.lock:
                st.reset_stats()
            out = b'{"ok": true}'
        else:
            return False
        self.send_body(200, out, [("Content-Type", "application/json")])
        return True

    def log_message(self, fmt, *args):
        pass


class Handler(QuietHandler):
    server_version = "loopback-kms"

    def date_time_string(self, timestamp=None):
        if timestamp is None:
            timestamp = time.time() + self.server.state.skew()
        return super().date_time_string(timestamp)

    def answer(self, status, obj=None, raw=None):
        self.send_body(status, raw if raw is not None else json.dumps(obj).encode(),
                       [("Content-Type", "application/x-amz-json-1.1")])

    def error(self, status, kind, message):
        self.answer(status, {"__type": kind, "message": message})

    def check_sigv4(self, body):
        st = self.server.state
        auth = parse_authorization(self.headers.get("Authorization"))
        if auth is None:
            self.error(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
            return False
        if auth["region"] != st.region or auth["service"] != "kms":
            st.count("bad_signature")
            self.error(400, "InvalidSignatureException",
                       "Credential should be scoped to a valid region and service: kms in %s, not %s in %s"
                       % (st.region, auth["service"], auth["region"]))
            return False
        missing = [h for h in ("host", "x-amz-date", "x-amz-target", "content-type")
                   if h not in auth["signed_headers"].split(";")]
        token = self.headers.get("X-Amz-Security-Token")
        if token is not None and "x-amz-security-token" not in auth["signed_headers"].split(";"):
            missing.append("x-amz-security-token")
        if missing:
            st.count("bad_signature")
            self.error(400, "InvalidSignatureException",
                       "SignedHeaders must include %s" % ", ".join(missing))
            return False
        known = st.credentials(auth["access_key"], "kms")
        if known is None:
            self.error(400, "UnrecognizedClientException",
                       "The security token included in the request is invalid.")
            return False
        secret, want_token = known
        amz_date = self.headers.get("X-Amz-Date", "")
        try:
            when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
        except ValueError:
            self.error(400, "IncompleteSignatureException", "X-Amz-Date is missing or invalid")
            return False
        now = datetime.datetime.utcnow() + datetime.timedelta(seconds=st.skew())
        if abs((now - when).total_seconds()) > 300:
            self.error(400, "InvalidSignatureException",
                       "Signature expired: %s is now earlier than the allowed window" % amz_date)
            return False
        signed = auth["signed_headers"].split(";")
        headers = {h: self.headers.get(h, "") for h in signed}
        if want_token and token != want_token:
            self.error(400, "UnrecognizedClientException",
                       "The security token included in the request is invalid.")
            return False
        req = AWSRequest(method="POST", url="https://%s/" % self.headers.get("Host"),
                         data=body, headers=headers)
        req.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(auth["access_key"], secret, token), "kms", auth["region"])
        canonical = signer.canonical_request(req)
        expected = signer.signature(signer.string_to_sign(req, canonical), req)
        if expected != auth["signature"] or auth["service"] != "kms":
            st.count("bad_signature")
            self.error(400, "InvalidSignatureException",
                       "The request signature we calculated does not match the signature you "
                       "provided. Check your AWS Secret Access Key and signing method.")
            return False
        if st.expired(auth["access_key"]):
            st.count("expired_token")
            self.error(400, "ExpiredTokenException", "The security token included in the request is expired")
            return False
        return True

    def do_GET(self):
        if not self.test_control("GET"):
            self.error(404, "NotFound", "no such path")

    def do_POST(self):
        st = self.server.state
        body = self.read_body()
        if self.test_control("POST", body):
            return
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            self.sts(body)
            return
        st.count("requests")
        self.kms(body)

    def sts(self, body):
        """AssumeRoleWithWebIdentity: unsigned; answers --token as the session token."""
        from urllib.parse import parse_qs
        st = self.server.state
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("Action") != "AssumeRoleWithWebIdentity" or form.get("WebIdentityToken") != st.web_identity:
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        st.count("sts")
        xml = ("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
               "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>%s</AccessKeyId>"
               "<SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken>"
               "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
               "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"
               % (st.access_key, st.secret_key, st.token or "")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(xml)))
        self.end_headers()
        self.wfile.write(xml)

    def inject(self, target):
        """Faults before the request is served. True when it was answered."""
        st = self.server.state
        f = st.faults
        if f.get("latency_ms"):
            time.sleep(float(f["latency_ms"]) / 1000.0)
        if st.chance("reset"):
            st.count("resets")
            self.close_connection = True
            self.connection.shutdown(2)
            return True
        if target == "TrentService.Sign" and f.get("rate_limit"):
            now = time.monotonic()
            with st.lock:
                st.window = [t for t in st.window if now - t < 1.0]
                over = len(st.window) >= float(f["rate_limit"])
                if not over:
                    st.window.append(now)
            if over:
                st.count("throttled")
                self.error(400, "ThrottlingException", "Rate exceeded")
                return True
        if int(f.get("throttle_first", 0) or 0) > 0:
            f["throttle_first"] = int(f["throttle_first"]) - 1
            st.count("throttled")
            self.error(400, "ThrottlingException", "Rate exceeded")
            return True
        if st.chance("throttle"):
            st.count("throttled")
            self.error(400, "ThrottlingException", "Rate exceeded")
            return True
        if st.chance("error500"):
            st.count("errors500")
            self.error(500, "KMSInternalException", "internal error")
            return True
        if f.get("signature_expired"):
            self.error(400, "InvalidSignatureException",
                       "Signature expired: 20150830T123600Z is now earlier than 20260101T000000Z")
            return True
        if f.get("access_denied"):
            self.error(400, "AccessDeniedException", "User is not authorized to perform: kms:Sign")
            return True
        if f.get("expire_token_times"):
            f["expire_token_times"] = int(f["expire_token_times"]) - 1
            self.error(400, "ExpiredTokenException", "The security token included in the request is expired")
            return True
        if f.get("expire_token_once"):
            f["expire_token_once"] = False
            self.error(400, "ExpiredTokenException", "The security token included in the request is expired")
            return True
        if st.chance("malformed"):
            st.count("malformed")
            self.answer(200, raw=b'{"KeyId": "arn:aws:kms:trunc')
            return True
        return False

    def kms(self, body):
        st = self.server.state
        if not self.check_sigv4(body):
            return
        target = self.headers.get("X-Amz-Target", "")
        if self.inject(target):
            return
        try:
            req = json.loads(body)
        except ValueError:
            self.error(400, "SerializationException", "body is not JSON")
            return
        if target == "TrentService.ListKeys":
            self.list_keys()
            return
        key = st.keys.get(req.get("KeyId", ""))
        if key is None:
            self.error(400, "NotFoundException", "Key '%s' does not exist" % req.get("KeyId"))
            return
        if target == "TrentService.GetPublicKey":
            self.get_public_key(key)
        elif target == "TrentService.Sign":
            self.sign(key, req)
        else:
            self.error(400, "UnknownOperationException", target)

    def list_keys(self):
        st = self.server.state
        arns = sorted({arn for arn, _ in st.keys.values()})
        self.answer(200, {"Keys": [{"KeyArn": a, "KeyId": a.rsplit("/", 1)[1]} for a in arns],
                          "Truncated": False})

    def get_public_key(self, key):
        st = self.server.state
        st.count("get_public_key")
        arn, priv = key
        spki = priv.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
        spec, alg, _ = CURVES[priv.curve.name]
        spec = self.server.state.faults.get("key_spec", spec)
        self.answer(200, {"KeyId": arn, "PublicKey": base64.b64encode(spki).decode(),
                          "KeySpec": spec, "CustomerMasterKeySpec": spec,
                          "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": [alg]})

    def sign(self, key, req):
        st = self.server.state
        arn, priv = key
        limit = st.faults.get("fail_sign_after")
        if limit is not None and st.stats["sign"] >= int(limit):
            self.error(400, "AccessDeniedException", "User is not authorized to perform: kms:Sign")
            return
        _, alg, h = CURVES[priv.curve.name]
        if req.get("SigningAlgorithm") != alg:
            self.error(400, "InvalidKeyUsageException", "unsupported SigningAlgorithm")
            return
        message = base64.b64decode(req.get("Message", ""))
        kind = req.get("MessageType", "RAW")
        if kind == "DIGEST":
            if len(message) != h.digest_size:
                self.error(400, "ValidationException", "Digest is invalid length for algorithm %s." % alg)
                return
            digest = message
        else:
            st.count("raw_sign")
            digest = hashlib.new(h.name, message).digest()
        if st.faults.get("wrong_key"):
            priv = st.other
        der = self.make_signature(priv, digest)
        st.count("sign")
        with st.lock:
            d = digest.hex()
            st.stats["sign_per_digest"][d] = st.stats["sign_per_digest"].get(d, 0) + 1
        self.answer(200, {"KeyId": arn, "Signature": base64.b64encode(der).decode(),
                          "SigningAlgorithm": alg})

    def make_signature(self, priv, digest):
        st = self.server.state
        want = st.faults.get("short_rs")
        force = want and (st.chance("short_share") if "short_share" in st.faults else True)
        h = CURVES[priv.curve.name][2]
        bits = priv.curve.key_size
        while True:
            der = priv.sign(digest, ec.ECDSA(utils.Prehashed(h)))
            if not force:
                return der
            r, s = utils.decode_dss_signature(der)
            short_r, short_s = r < 2 ** (bits - 8), s < 2 ** (bits - 8)
            if (want == "r" and short_r) or (want == "s" and short_s) or \
               (want == "both" and (short_r or short_s)):
                return der


# What KMS calls each curve it has, and the digest it signs (no brainpool in KMS).
CURVES = {
    "secp256r1": ("ECC_NIST_P256", "ECDSA_SHA_256", hashes.SHA256()),
    "secp384r1": ("ECC_NIST_P384", "ECDSA_SHA_384", hashes.SHA384()),
}


class QuietServer(ThreadingHTTPServer):
    """The loopback fakes' server (this one, vault_server.py, azure_server.py, gcp_server.py)."""
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass  # a client killed mid-request (the crash tests) is not an error here


def serve_tls(server_class, handler, state, cert_dir, port, dns_names=None, ready=None):
    """HTTPS on 127.0.0.1 with a fresh self-signed certificate; prints READY <port>
    (after ready(server), when given: what must exist before a client comes)."""
    cert, key = make_cert(cert_dir, dns_names or ())
    srv = server_class(("127.0.0.1", port), handler)
    srv.state = state
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if ready:
        ready(srv)
    print("READY %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


class Server(QuietServer):
    def get_request(self):
        sock, addr = super().get_request()
        self.state.count("connections")
        return sock, addr


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--key", action="append", default=[], help="NAME=PRIVATE_KEY.pem")
    p.add_argument("--cert-dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--access-key", default="AKIDEXAMPLE")
    p.add_argument("--secret-key", default="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    p.add_argument("--token", default=None)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--web-identity", default="oidc-token-for-tests", help="token STS accepts")
    args = p.parse_args()
    serve_tls(Server, Handler, State(args), args.cert_dir, args.port)


if __name__ == "__main__":
    main()
