#!/usr/bin/python3
"""make bench: measure the toolchain against peers and physical limits in one run.

Prints one markdown table and writes it, with the machine description, to
bench/RESULTS.md. Never part of make test. Installs awscli (Debian) if missing.
"""
import json
import os
import platform
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("BIN", os.path.join(TOP, "build", "bin"))
OUT = os.path.join(TOP, "bench", "out")
KEYS = os.path.join(TOP, "tests", "fixtures", "keys")
GIB = 1 << 30
ROWS = []
SIGNING = {}


def sh(cmd, env=None, check=True):
    t = time.monotonic()
    p = subprocess.run(cmd, shell=True, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.monotonic() - t
    if check and p.returncode != 0:
        sys.exit("bench: command failed: %s\n%s%s" % (cmd, p.stdout[-2000:], p.stderr[-2000:]))
    return dt, p


def timed(cmd, runs=3, env=None, setup=None):
    times = []
    for _ in range(runs):
        if setup:
            sh(setup, env=env)
        dt, _ = sh(cmd, env=env)
        times.append(dt)
    return statistics.median(times), (max(times) - min(times)) if len(times) > 1 else 0.0


def peak_rss_kib(cmd, env=None):
    _, p = sh("/usr/bin/time -v " + cmd, env=env)
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))


def row(section, what, measured, reference, ratio, target, verdict):
    ROWS.append((section, what, measured, reference, ratio, target, verdict))
    print("| %s | %s | %s | %s | %s | %s | %s |" % ROWS[-1], flush=True)


def ensure_awscli():
    if shutil.which("aws"):
        return True
    if os.geteuid() == 0:
        print("bench: installing awscli (Debian) for the CLI comparison", flush=True)
        sh("apt-get install -y -qq awscli >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq awscli >/dev/null)", check=False)
    return bool(shutil.which("aws"))


def machine():
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(open("/proc/meminfo").readline().split()[1]) // (1 << 20)
    ossl = subprocess.run("openssl version", shell=True, capture_output=True, text=True).stdout.strip()
    return "%s, %d cores, %d GiB, Linux %s, %s" % (cpu, os.cpu_count(), mem, platform.release(), ossl)


# ---------------------------------------------------------------- 1 and 2
def hashing_and_memory():
    big = os.path.join(OUT, "payload-1g.bin")
    if not os.path.exists(big) or os.path.getsize(big) != GIB:
        sh("head -c %d /dev/urandom > %s" % (GIB, big))
    prep = "%s/stm32-prep -q --soc stm32mp25 --pubkey %s/k1.pub.pem --key-uri file:%s/k1.pem %s -o %s/big.prepared.stm32 -m %s/big.yaml" % (
        BIN, KEYS, KEYS, big, OUT, OUT)
    t_ossl, s_ossl = timed("openssl dgst -sha256 %s" % big)
    t_prep, s_prep = timed(prep)
    sh("%s/kms-sign-digest -q %s/big.yaml -o %s/big.sigs.yaml" % (BIN, OUT, OUT))
    sh("%s/stm32-assemble -q %s/big.yaml %s/big.sigs.yaml --out-dir %s/big-signed" % (BIN, OUT, OUT, OUT))
    t_insp, s_insp = timed("%s/stm32-inspect %s/big-signed/big.stm32" % (BIN, OUT))
    gbs = lambda t: "%.2f GB/s" % (GIB / t / 1e9)
    row("1 hashing", "openssl dgst -sha256, 1 GiB (the SHA-256 limit)", "%.2f s (+-%.2f)" % (t_ossl, s_ossl / 2), gbs(t_ossl), "1.00", "-", "reference")
    ratio = t_ossl / t_prep
    row("1 hashing", "stm32-prep, 1 GiB payload -> prepared image", "%.2f s (+-%.2f)" % (t_prep, s_prep / 2), gbs(t_prep), "%.2f" % ratio, ">= 0.9",
        "met" if ratio >= 0.9 else "MISSED: prep also writes and fsyncs a 1 GiB copy and hashes it twice "
        "(digest + file_sha256); openssl only reads")
    ratio_i = t_ossl / t_insp
    row("1 hashing", "stm32-inspect, 1 GiB image (hash + checksum, no write)", "%.2f s (+-%.2f)" % (t_insp, s_insp / 2), gbs(t_insp), "%.2f" % ratio_i, ">= 0.9",
        "met" if ratio_i >= 0.9 else "MISSED")
    for name, cmd in (("stm32-prep", prep),
                      ("stm32-assemble", "%s/stm32-assemble -q %s/big.yaml %s/big.sigs.yaml --out-dir %s/big-signed" % (BIN, OUT, OUT, OUT)),
                      ("stm32-inspect", "%s/stm32-inspect %s/big-signed/big.stm32" % (BIN, OUT))):
        kib = peak_rss_kib(cmd)
        row("2 memory", "%s peak RSS, 1 GiB image" % name, "%.1f MiB" % (kib / 1024), "-", "-", "< 16 MiB",
            "met" if kib < 16 * 1024 else "MISSED")
    for f in ("big.prepared.stm32", "big-signed/big.stm32"):
        os.unlink(os.path.join(OUT, f))


# ---------------------------------------------------------------- 3
def batch_offline():
    d = os.path.join(OUT, "batch")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "in"))
    sh("cp %s/k0.pub.pem %s/k1.pub.pem %s/" % (KEYS, KEYS, d))
    with open(os.path.join(d, "release.yaml"), "w") as f:
        f.write("format: stm32-release/1\nkeysets:\n  k: [k0.pub.pem, k1.pub.pem]\nimages:\n")
        for i in range(1000):
            f.write("  - {id: img%04d, input: in/p%04d.bin, soc: stm32mp25, keyset: k, key_index: 1, key_uri: 'file:%s/k1.pem'}\n" % (i, i, KEYS))
    sh("cd %s/in && head -c %d /dev/urandom | split -b 262144 -d -a 4 - p && for f in p????; do mv $f $f.bin; done" % (d, 1000 * 262144))
    t_prep, s_prep = timed("rm -rf %s/out && %s/stm32-prep -q --release %s/release.yaml --out-dir %s/out" % (d, BIN, d, d))
    sh("%s/kms-sign-digest -q --jobs 8 %s/out/manifest.yaml -o %s/out/sigs.yaml" % (BIN, d, d))
    t_asm, s_asm = timed("rm -rf %s/signed && %s/stm32-assemble -q %s/out/manifest.yaml %s/out/sigs.yaml --out-dir %s/signed" % (d, BIN, d, d, d))
    t_floor, s_floor = timed("for f in %s/in/*.bin; do openssl dgst -sha256 $f >/dev/null; done" % d)
    row("3 batch offline", "openssl dgst, one process per image (script floor), 1000 x 256 KiB", "%.2f s (+-%.2f)" % (t_floor, s_floor / 2),
        "%.2f ms/image" % (t_floor), "1.00", "-", "reference")
    row("3 batch offline", "stm32-prep --release, 1000 x 256 KiB", "%.2f s (+-%.2f)" % (t_prep, s_prep / 2), "%.2f ms/image" % t_prep,
        "%.2f" % (t_floor / t_prep), "faster than the floor", "met" if t_prep < t_floor else "MISSED: writes and fsyncs 1000 files")
    row("3 batch offline", "stm32-assemble, 1000 x 256 KiB", "%.2f s (+-%.2f)" % (t_asm, s_asm / 2), "%.2f ms/image" % t_asm,
        "%.2f" % (t_floor / t_asm), "faster than the floor", "met" if t_asm < t_floor else "MISSED: verifies (3 hashes, ECDSA) and fsyncs each")


def checksum_loops():
    """The image checksum: the SWAR sum the tools use against a plain byte loop."""
    exe = os.path.join(OUT, "checksum")
    sh("cc -O2 -I%s -o %s %s/bench/checksum.c %s/build/libimage.a %s/build/libcore.a -lcrypto"
       % (TOP, exe, TOP, TOP, TOP))
    _, p = sh(exe)
    f = p.stdout.split()
    plain, swar = float(f[1]), float(f[3])
    row("1 hashing", "image checksum, 1 GiB in memory: eight bytes at a time (the tools') vs the plain byte loop",
        "%.3f s vs %.3f s" % (swar, plain), "plain loop", "%.2f" % (plain / swar), "keep the simpler loop unless the other is faster",
        ("the eight-byte sum is %.1fx faster: it stays" % (plain / swar)) if swar < plain else "the plain loop is as fast: use it")


def release_memory():
    """Peak RSS of stm32-prep --release over 10,000 images (the documented limit)."""
    d = os.path.join(OUT, "big-release")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "in"))
    sh("cp %s/k*.pub.pem %s/" % (KEYS, d))
    with open(os.path.join(d, "release.yaml"), "w") as f:
        f.write("format: stm32-release/1\nkeysets:\n  k: [%s]\nimages:\n" % ", ".join("k%d.pub.pem" % i for i in range(8)))
        for i in range(10000):
            f.write("  - {id: img%05d, input: in/p%05d.bin, soc: stm32mp25, keyset: k, key_index: %d, key_uri: 'awskms:///alias/k%d'}\n"
                    % (i, i % 100, i % 8, i % 8))
    sh("cd %s/in && for i in $(seq -f %%05g 0 99); do head -c 1024 /dev/urandom > p$i.bin; done" % d)
    kib = peak_rss_kib("%s/stm32-prep -q --release %s/release.yaml --out-dir %s/out" % (BIN, d, d))
    row("3 batch offline", "stm32-prep --release peak RSS, 10,000 images (8 keys, 1 KiB each)", "%.1f MiB" % (kib / 1024), "-", "-",
        "< 64 MiB", "met" if kib < 64 * 1024 else "MISSED")
    shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------- 4 and 5
class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bench-kms-")
        self.p = subprocess.Popen(["/usr/bin/python3", os.path.join(TOP, "tests", "tools", "kms_server.py"),
                                   "--cert-dir", self.dir, "--key", "k1=%s/k1.pem" % KEYS, "--key", "p384=%s/p384.pem" % KEYS],
                                  stdout=subprocess.PIPE, text=True)
        self.port = int(self.p.stdout.readline().split()[1])
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "kms-cert.pem"))
        self.env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                        AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
                        AWS_ENDPOINT_URL_KMS="https://127.0.0.1:%d" % self.port,
                        AWS_CA_BUNDLE=os.path.join(self.dir, "kms-cert.pem"), AWS_EC2_METADATA_DISABLED="true")

    def call(self, path, body=None):
        req = urllib.request.Request("https://127.0.0.1:%d%s" % (self.port, path), data=body)
        return json.loads(urllib.request.urlopen(req, context=self.ctx).read() or b"{}")

    def control(self, faults):
        self.call("/_control", json.dumps(faults).encode())
        self.call("/_reset", b"{}")

    def stats(self):
        return self.call("/_stats")

    def stop(self):
        self.p.terminate()
        self.p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def p384_row(srv, d, t256):
    """Header 2.3 with a P-384 key: SHA-384 digests, ECDSA_SHA_384, 96-byte signatures."""
    sh("cp %s/p384.pub.pem %s/ && sed -e 's/soc: stm32mp25/soc: stm32mp21/' -e 's/keyset: k,/keyset: p,/' "
       "-e 's|key_uri: .awskms:///alias/k1.|key_uri: awskms:///alias/p384|' -e 's/key_index: 1/key_index: 0/' "
       "-e 's/^keysets:/keysets:\\n  p: [p384.pub.pem]/' %s/release.yaml > %s/release384.yaml && "
       "rm -rf %s/out384 && %s/stm32-prep -q --release %s/release384.yaml --out-dir %s/out384 2>/dev/null" % (KEYS, d, d, d, d, BIN, d, d))
    times = []
    for _ in range(3):
        srv.control({"latency_ms": 50})
        dt, _ = sh("rm -f %s/sigs-384.yaml %s/sigs-384.yaml.journal && %s/kms-sign-digest -q --jobs 32 --max-rate 100000 "
                   "%s/out384/manifest.yaml -o %s/sigs-384.yaml" % (OUT, OUT, BIN, d, OUT), env=srv.env)
        times.append(dt)
    t = statistics.median(times)
    row("4 batch signing", "header 2.3, P-384 (SHA-384 digests), 1000 digests, 50 ms latency, --jobs 32",
        "%.2f s (+-%.2f, 3 runs)" % (t, (max(times) - min(times)) / 2), "P-256 --jobs 32: %.2f s" % t256, "%.2f" % (t / t256),
        "-", "same batch cost as P-256" if t <= t256 * 1.10 else "%.0f%% slower than P-256" % ((t / t256 - 1) * 100))


def signing():
    d = os.path.join(OUT, "batch")
    manifest = "%s/out/manifest.yaml" % d
    sh("sed -i 's|file:%s/k1.pem|awskms:///alias/k1|' %s/release.yaml && rm -rf %s/out && %s/stm32-prep -q --release %s/release.yaml --out-dir %s/out"
       % (KEYS, d, d, BIN, d, d))
    srv = Server()
    try:
        srv.control({"latency_ms": 50})
        results = {}
        for jobs in (1, 8, 32, 64):
            runs = 1 if jobs == 1 else 3
            times = []
            for _ in range(runs):
                srv.control({"latency_ms": 50})
                dt, _ = sh("%s/kms-sign-digest -q --jobs %d --max-rate 100000 %s -o %s/sigs-%d.yaml" % (BIN, jobs, manifest, OUT, jobs), env=srv.env)
                times.append(dt)
            st = srv.stats()
            t = statistics.median(times)
            bound = 1000 * 0.05 / jobs                      # the bound
            rounds = (-(-1000 // jobs) + 1) * 0.05          # whole rounds + the GetPublicKey check
            results[jobs] = t
            within = t <= bound * 1.10
            why = ("MISSED by %.0f%%: 1000/%d needs %d whole rounds and one GetPublicKey round trip precedes "
                   "signing; against that bound (%.2f s) the run is at %.2f" % ((t / bound - 1) * 100, jobs, -(-1000 // jobs), rounds, t / rounds))
            row("4 batch signing", "kms-sign-digest, 1000 digests, 50 ms latency, --jobs %d" % jobs,
                "%.2f s (+-%.2f, %d run%s)" % (t, (max(times) - min(times)) / 2, runs, "s" if runs > 1 else ""),
                "bound %.2f s (rounds %.2f s); %d TLS connections" % (bound, rounds, st["connections"]), "%.2f of bound" % (t / bound),
                "within 10% of bound" if jobs == 32 else "-",
                ("met" if within else why) if jobs == 32 else ("within 10%" if within else "%.0f%% over (%.2f of rounds)" % ((t / bound - 1) * 100, t / rounds)))
        p384_row(srv, d, results[32])
        SIGNING["aws32"] = results[32]
        if ensure_awscli():
            srv.control({"latency_ms": 50})
            digest = os.path.join(OUT, "digest.bin")
            open(digest, "wb").write(os.urandom(32))
            dt, _ = sh("for i in $(seq 50); do aws kms sign --endpoint-url https://127.0.0.1:%d --key-id alias/k1 --message fileb://%s "
                       "--message-type DIGEST --signing-algorithm ECDSA_SHA_256 --output text --query KeyId >/dev/null; done" % (srv.port, digest), env=srv.env)
            scaled = dt / 50 * 1000
            speedup = scaled / results[32]
            row("4 batch signing", "aws kms sign, one CLI call per digest (50 timed, x20)", "%.1f s for 1000 (%.2f s/call)" % (scaled, dt / 50),
                "-", "%.0fx slower than --jobs 32" % speedup, "> 100x", "met" if speedup > 100 else "MISSED: %.0fx" % speedup)
        else:
            row("4 batch signing", "aws kms sign loop", "not measured", "-", "-", "> 100x", "MISSED: awscli could not be installed")
        for label, rate in (("client unaware of the limit (--max-rate 100000)", 100000), ("client rate-limited (--max-rate 190)", 190)):
            srv.control({"rate_limit": 200})
            dt, _ = sh("%s/kms-sign-digest -q --jobs 32 --max-rate %d --max-attempts 60 %s -o %s/sigs-thr.yaml" % (BIN, rate, manifest, OUT), env=srv.env)
            st = srv.stats()
            row("5 throttled signing", "1000 digests, endpoint throttles above 200 Sign/s, %s" % label, "%.2f s" % dt,
                "bound %.2f s" % (1000 / 200.0), "%.2f of bound" % (dt / 5.0), "-", "%d throttled answers retried" % st["throttled"])
    finally:
        srv.stop()


# ---------------------------------------------------------------- 4: the other cloud stores
class Fake(Server):
    """A loopback fake of tests/tools (kms-cert.pem, READY PORT, /_control, /_stats, /_reset)."""

    def __init__(self, script, args, env):
        self.dir = tempfile.mkdtemp(prefix="bench-fake-")
        self.p = subprocess.Popen(["/usr/bin/python3", os.path.join(TOP, "tests", "tools", script),
                                   "--cert-dir", self.dir] + args, stdout=subprocess.PIPE, text=True)
        self.port = int(self.p.stdout.readline().split()[1])
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "kms-cert.pem"))
        self.env = dict(os.environ, **{k: v.format(port=self.port, dir=self.dir) for k, v in env.items()})


AZURE_VERSION = "0123456789abcdef0123456789abcdef"
GCP_VERSION = "projects/bench/locations/europe-west1/keyRings/stm32/cryptoKeys/k1/cryptoKeyVersions/1"
STORES = [
    ("Vault transit, batch_input (up to 64 per request, spread over the jobs)", "vault_server.py", "hashivault://k1?version=1", "",
     ["--token", "hvs.bench", "--key", "k1=%s/k1.pem" % KEYS],
     {"VAULT_ADDR": "https://127.0.0.1:{port}", "VAULT_TOKEN": "hvs.bench", "VAULT_CACERT": "{dir}/kms-cert.pem"}),
    ("Vault transit, --batch-size 1 (one request per digest)", "vault_server.py", "hashivault://k1?version=1",
     "--batch-size 1", ["--token", "hvs.bench", "--key", "k1=%s/k1.pem" % KEYS],
     {"VAULT_ADDR": "https://127.0.0.1:{port}", "VAULT_TOKEN": "hvs.bench", "VAULT_CACERT": "{dir}/kms-cert.pem"}),
    ("Azure Key Vault (client secret)", "azure_server.py", "azurekms://127.0.0.1:{port}/k1/" + AZURE_VERSION, "",
     ["--key", "k1=%s:%s/k1.pem" % (AZURE_VERSION, KEYS), "--client-secret", "bench"],
     {"REQUESTS_CA_BUNDLE": "{dir}/kms-cert.pem", "AZURE_AUTHORITY_HOST": "https://127.0.0.1:{port}",
      "AZURE_TENANT_ID": "72f988bf-86f1-41af-91ab-2d7cd011db47",
      "AZURE_CLIENT_ID": "0b5ad4b0-6f3c-4a2e-9d0c-1f2e3d4c5b6a", "AZURE_CLIENT_SECRET": "bench"}),
    ("GCP Cloud KMS (service account)", "gcp_server.py", "gcpkms://" + GCP_VERSION, "",
     ["--key", "%s=%s/k1.pem" % (GCP_VERSION, KEYS), "--service-account", "bench@bench.iam.gserviceaccount.com"],
     {"CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS": "https://127.0.0.1:{port}/",
      "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE": "{dir}/kms-cert.pem", "GOOGLE_APPLICATION_CREDENTIALS": "{dir}/sa.json"}),
]


def cloud_stores(aws_jobs32=None):
    """1000 digests through each store's loopback fake, 50 ms latency, --jobs 32."""
    d = os.path.join(OUT, "cloud")
    os.makedirs(d, exist_ok=True)
    rel = ["format: stm32-release/1", "release: bench", "keysets:", "  k: [k0.pub.pem, k1.pub.pem]", "images:"]
    rel += ["  - {id: i%04d, input: p.bin, soc: stm32mp25, image_version: %d, keyset: k, key_index: 1, key_uri: 'URI'}" % (i, i)
            for i in range(1000)]
    only = os.environ.get("BENCH_STORES")
    for label, script, uri, extra, args, env in STORES:
        if only and not label.startswith(only):
            continue
        srv = Fake(script, args, env)
        try:
            key = uri.format(port=srv.port)
            with open(os.path.join(d, "release.yaml"), "w") as f:
                f.write("\n".join(rel).replace("URI", key) + "\n")
            with open(os.path.join(d, "signer.yaml"), "w") as f:
                f.write("format: stm32-signer/1\nkeys:\n  - uri: '%s'\n" % key)
            sh("cd %s && cp %s/k0.pub.pem %s/k1.pub.pem . && head -c 4096 /dev/urandom > p.bin && rm -rf out && "
               "%s/stm32-prep -q --release release.yaml --out-dir out" % (d, KEYS, KEYS, BIN))
            times = []
            for _ in range(3):
                srv.control({"latency_ms": 50})
                dt, _ = sh("cd %s && %s/kms-sign-digest -q --config signer.yaml --jobs 32 --max-rate 100000 %s out/manifest.yaml -o sigs.yaml"
                           % (d, BIN, extra), env=srv.env)
                times.append(dt)
            st = srv.stats()
            t = statistics.median(times)
            requests = st.get("sign_requests", st.get("sign", 0))
            row("4 batch signing", "%s, 1000 digests, 50 ms latency, --jobs 32" % label,
                "%.2f s (+-%.2f, 3 runs)" % (t, (max(times) - min(times)) / 2),
                "%d sign requests; AWS KMS --jobs 32: %s" % (requests, "%.2f s" % aws_jobs32 if aws_jobs32 else "-"),
                "%.2f" % (t / aws_jobs32) if aws_jobs32 else "-", "-", "-")
        finally:
            srv.stop()


def main():
    shutil.rmtree(OUT, ignore_errors=True)  # a killed run's journals would stop the signing rows
    os.makedirs(OUT, exist_ok=True)
    header = ["| section | what | measured (median, +- half spread) | reference | ratio | target | verdict |",
              "|---|---|---|---|---|---|---|"]
    print("\n".join(header), flush=True)
    hashing_and_memory()
    checksum_loops()
    batch_offline()
    release_memory()
    signing()
    cloud_stores(SIGNING.get("aws32"))
    text = ["# Benchmark results", "", "Machine: " + machine(), "",
            "Generated by `make bench` on %s. Medians of 3 runs unless noted; the spread is half of max - min." % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            ""] + header + ["| %s | %s | %s | %s | %s | %s | %s |" % r for r in ROWS]
    with open(os.path.join(TOP, "bench", "RESULTS.md"), "w") as f:
        f.write("\n".join(text) + "\n")
    print("\nbench: table written to bench/RESULTS.md")


if __name__ == "__main__":
    main()
