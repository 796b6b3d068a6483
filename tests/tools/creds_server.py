#!/usr/bin/python3
"""Loopback credential endpoints for tests. Prints "READY <port>".

Container (AWS_CONTAINER_CREDENTIALS_FULL_URI): GET answers the credentials
JSON when the Authorization header matches --token.
EC2 IMDSv2 (--imds; AWS_EC2_METADATA_SERVICE_ENDPOINT): PUT /latest/api/token
gives a session token; GET .../iam/security-credentials/ the role name, and
GET .../security-credentials/ROLE the credentials, both only with the token."""
import argparse
import json
from http.server import BaseHTTPRequestHandler, HTTPServer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--token", required=True)
    p.add_argument("--access-key", default="AKIDEXAMPLE")
    p.add_argument("--secret-key", default="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    p.add_argument("--imds", action="store_true")
    args = p.parse_args()
    creds = {"Code": "Success", "AccessKeyId": args.access_key, "SecretAccessKey": args.secret_key,
             "Token": "", "Expiration": "2099-01-01T00:00:00Z"}
    prefix = "/latest/meta-data/iam/security-credentials/"

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, status, body=b""):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_PUT(self):
            if args.imds and self.path == "/latest/api/token" and \
                    self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                self.reply(200, args.token.encode())
            else:
                self.reply(403)

        def do_GET(self):
            if args.imds:
                if self.headers.get("X-aws-ec2-metadata-token") != args.token:
                    self.reply(401)
                elif self.path == prefix:
                    self.reply(200, b"signer-role\n")
                elif self.path == prefix + "signer-role":
                    self.reply(200, json.dumps(creds).encode())
                else:
                    self.reply(404)
                return
            if self.headers.get("Authorization") != args.token:
                self.reply(401)
                return
            self.reply(200, json.dumps(creds).encode())

    srv = HTTPServer(("127.0.0.1", 0), H)
    print("READY %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
