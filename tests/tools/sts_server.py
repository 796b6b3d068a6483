#!/usr/bin/python3
"""A loopback AWS STS and IAM Identity Center portal, in front of the KMS fake.

One HTTPS port (kms_server.py's QuietServer and serve_tls) answers:
- STS AssumeRole (a form POST, Action=AssumeRole&Version=2011-06-15): the
  SigV4 signature (service sts) is recomputed with botocore's SigV4Auth; the
  caller must hold the long-term keys (--access-key/--secret-key) or
  credentials this server issued and not yet expired (a role chain). Checked
  as STS checks them: RoleArn among --role, RoleSessionName (2-64 of
  [\\w+=,.@-]), DurationSeconds (900-43200, at most the role's max),
  ExternalId and SerialNumber + TokenCode when the role requires them. The
  answer is the AssumeRoleResponse XML with fresh ASIA... credentials.
- SSO GetRoleCredentials (GET /federation/credentials?role_name=&account_id=,
  header x-amz-sso_bearer_token == --sso-token): the portal's JSON answer.
- KMS (kms_server.py's Handler), which accepts only the credentials issued
  here, with their session token, until they expire (then
  ExpiredTokenException, as KMS answers).

--role 'ARN[;external_id=X][;mfa=SERIAL][;max=SECONDS]' (repeatable);
--mfa-code: the one code the MFA device shows; --lifetime N: issued
credentials expire N seconds after issue whatever was asked (to test
refresh); --sso-role ACCOUNT/ROLE_NAME (repeatable).
POST /_control {"sts_throttle_first": N} answers the next N AssumeRole calls
Throttling; {"sts_fail_first": N} answers the next N AssumeRole calls HTTP 500
InternalFailure after reading them (a TokenCode they carry is used up: STS
refuses a one-time code it has seen, as "invalid MFA one time pass code"). GET /_stats adds assume_role, sso, expired_token and "calls" (each AssumeRole's
fields, the TokenCode replaced by whether it matched) and sign_by_role.
Prints "READY <port>".
"""
import argparse
import base64
import json
import datetime
import os
import re
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kms_server  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

NS = "https://sts.amazonaws.com/doc/2011-06-15/"


def parse_role(spec):
    arn, *opts = spec.split(";")
    role = {"arn": arn, "external_id": None, "mfa": None, "max": 3600}
    for o in opts:
        k, _, v = o.partition("=")
        role[k] = int(v) if k == "max" else v
    return role


class State(kms_server.State):
    def __init__(self, args):
        super().__init__(args)
        self.roles = {r["arn"]: r for r in map(parse_role, args.role)}
        self.mfa_code = args.mfa_code
        self.lifetime = args.lifetime
        self.sso_token = args.sso_token
        self.sso_roles = set(args.sso_role)
        self.issued = {}  # access key -> {"secret", "token", "expires", "role"}
        self.used_codes = set()

    def reset_stats(self):
        super().reset_stats()
        self.stats.update({"assume_role": 0, "sso": 0, "calls": [], "sign_by_role": {}})

    def issue(self, role, seconds):
        ak = "ASIA" + uuid.uuid4().hex[:16].upper()
        life = min(seconds, self.lifetime) if self.lifetime else seconds
        cred = {"secret": base64.b64encode(os.urandom(30)).decode(),
                "token": "FwoGZXIvYXdzE" + base64.b64encode(os.urandom(120)).decode(),
                "expires": time.time() + life, "role": role}
        with self.lock:
            self.issued[ak] = cred
        return ak, cred

    def credentials(self, access_key, service):
        c = self.issued.get(access_key)
        if c:
            return c["secret"], c["token"]
        if service == "sts" and access_key == self.access_key:
            return self.secret_key, None
        return None

    def expired(self, access_key):
        c = self.issued.get(access_key)
        return bool(c) and time.time() >= c["expires"]


def iso(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Handler(kms_server.Handler):
    server_version = "loopback-sts"

    def xml(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def sts_error(self, status, code, message):
        self.xml(status, "<ErrorResponse xmlns=\"%s\"><Error><Type>Sender</Type><Code>%s</Code>"
                 "<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>"
                 % (NS, code, escape(message), uuid.uuid4()))

    def check_sigv4(self, body):
        ok = super().check_sigv4(body)
        if ok:
            auth = kms_server.parse_authorization(self.headers.get("Authorization"))
            role = self.server.state.issued[auth["access_key"]]["role"]
            with self.server.state.lock:
                by = self.server.state.stats["sign_by_role"]
                by[role] = by.get(role, 0) + 1
        return ok

    def sts_caller(self, body):
        """The access key of a well-signed STS request, else None (answered)."""
        st = self.server.state
        auth = kms_server.parse_authorization(self.headers.get("Authorization"))
        if auth is None:
            self.sts_error(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
            return None
        signed = auth["signed_headers"].split(";")
        token = self.headers.get("X-Amz-Security-Token")
        known = st.credentials(auth["access_key"], "sts")
        if known is None:
            self.sts_error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
            return None
        secret, want_token = known
        if auth["service"] != "sts" or auth["region"] != st.region or "host" not in signed or \
                "x-amz-date" not in signed or (token and "x-amz-security-token" not in signed):
            st.count("bad_signature")
            self.sts_error(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region "
                           "and service sts, and sign host and x-amz-date.")
            return None
        if want_token != token:
            self.sts_error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
            return None
        req = AWSRequest(method="POST", url="https://%s%s" % (self.headers.get("Host"), urlsplit(self.path).path),
                         data=body, headers={h: self.headers.get(h, "") for h in signed})
        req.context["timestamp"] = self.headers.get("X-Amz-Date", "")
        signer = SigV4Auth(Credentials(auth["access_key"], secret, token), "sts", auth["region"])
        if signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req) != auth["signature"]:
            st.count("bad_signature")
            self.sts_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match "
                           "the signature you provided.")
            return None
        if st.expired(auth["access_key"]):
            self.sts_error(400, "ExpiredToken", "The security token included in the request is expired")
            return None
        return auth["access_key"]

    def sts(self, body):
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("Action") != "AssumeRole":
            return super().sts(body)
        f = self.server.state.faults
        if int(f.get("sts_throttle_first", 0) or 0) > 0:
            f["sts_throttle_first"] = int(f["sts_throttle_first"]) - 1
            return self.sts_error(400, "Throttling", "Rate exceeded")
        caller = self.sts_caller(body)
        if caller is not None:
            self.assume_role(caller, form)

    def assume_role(self, caller, form):
        st = self.server.state
        role = st.roles.get(form.get("RoleArn"))
        with st.lock:
            code_ok = form.get("TokenCode") == st.mfa_code and form.get("TokenCode") not in st.used_codes
            if "TokenCode" in form:
                st.used_codes.add(form.get("TokenCode"))
            st.stats["calls"].append({
                "caller": st.issued[caller]["role"] if caller in st.issued else "long-term keys",
                "RoleArn": form.get("RoleArn"), "RoleSessionName": form.get("RoleSessionName"),
                "ExternalId": form.get("ExternalId"), "DurationSeconds": form.get("DurationSeconds"),
                "SerialNumber": form.get("SerialNumber"), "TokenCode": "given, right" if code_ok else
                ("given, wrong" if "TokenCode" in form else None)})
        f = st.faults
        if int(f.get("sts_fail_first", 0) or 0) > 0:
            f["sts_fail_first"] = int(f["sts_fail_first"]) - 1
            return self.sts_error(500, "InternalFailure", "An internal error occurred.")
        if form.get("Version") != "2011-06-15":
            return self.sts_error(400, "InvalidAction", "Could not find operation AssumeRole for version %s"
                                  % form.get("Version"))
        name = form.get("RoleSessionName", "")
        if not re.fullmatch(r"[\w+=,.@-]{2,64}", name):
            return self.sts_error(400, "ValidationError", "1 validation error detected: Value at "
                                  "'roleSessionName' failed to satisfy constraint")
        secs = int(form.get("DurationSeconds", "3600"))
        if not 900 <= secs <= 43200:
            return self.sts_error(400, "ValidationError", "1 validation error detected: Value at "
                                  "'durationSeconds' failed to satisfy constraint")
        denied = "User: %s is not authorized to perform: sts:AssumeRole on resource: %s" % (
            caller, form.get("RoleArn"))
        if role is None or form.get("ExternalId") != role["external_id"]:
            return self.sts_error(403, "AccessDenied", denied)
        if role["mfa"] and (form.get("SerialNumber") != role["mfa"] or not code_ok):
            return self.sts_error(403, "AccessDenied", "MultiFactorAuthentication failed with invalid MFA "
                                  "one time pass code.")
        if secs > role["max"]:
            return self.sts_error(400, "ValidationError", "The requested DurationSeconds exceeds the "
                                  "MaxSessionDuration set for this role.")
        st.count("assume_role")
        ak, c = st.issue(role["arn"], secs)
        self.xml(200, "<AssumeRoleResponse xmlns=\"%s\"><AssumeRoleResult><Credentials>"
                 "<AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
                 "<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>"
                 "<AssumedRoleUser><AssumedRoleId>AROA3XFRBF535PLBIFPI4:%s</AssumedRoleId>"
                 "<Arn>%s</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata>"
                 "<RequestId>%s</RequestId></ResponseMetadata></AssumeRoleResponse>"
                 % (NS, ak, c["secret"], c["token"], iso(c["expires"]), escape(name),
                    escape(role["arn"].replace(":role/", ":assumed-role/").replace("iam::", "sts::") + "/" + name),
                    uuid.uuid4()))

    def sso_json(self, status, obj, kind=None):
        self.send_response(status)
        body = json.dumps(obj).encode()
        self.send_header("Content-Type", "application/json")
        if kind:
            self.send_header("x-amzn-ErrorType", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = self.server.state
        url = urlsplit(self.path)
        if url.path != "/federation/credentials":
            return super().do_GET()
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if self.headers.get("x-amz-sso_bearer_token") != st.sso_token:
            return self.sso_json(401, {"message": "Session token not found or invalid"}, "UnauthorizedException")
        want = "%s/%s" % (q.get("account_id"), q.get("role_name"))
        if want not in st.sso_roles:
            return self.sso_json(403, {"message": "No access"}, "ForbiddenException")
        st.count("sso")
        ak, c = st.issue("sso:" + want, st.lifetime or 3600)
        self.sso_json(200, {"roleCredentials": {"accessKeyId": ak, "secretAccessKey": c["secret"],
                                                "sessionToken": c["token"],
                                                "expiration": int(c["expires"]) * 1000}})


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--key", action="append", default=[], help="NAME=PRIVATE_KEY.pem")
    p.add_argument("--cert-dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--access-key", default="AKIDEXAMPLE")
    p.add_argument("--secret-key", default="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    p.add_argument("--token", default=None)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--web-identity", default="oidc-token-for-tests")
    p.add_argument("--role", action="append", default=[])
    p.add_argument("--mfa-code", default=None)
    p.add_argument("--lifetime", type=int, default=0)
    p.add_argument("--sso-token", default=None)
    p.add_argument("--sso-role", action="append", default=[])
    args = p.parse_args()
    kms_server.serve_tls(kms_server.Server, Handler, State(args), args.cert_dir, args.port)


if __name__ == "__main__":
    threading.current_thread().name = "sts"
    main()
