#!/bin/sh
# The whole flow on examples/: prep (offline) -> sign (loopback KMS endpoint)
# -> assemble -> verify. Run by `make demo`; BIN names the tools' directory.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$top/build/bin}
PATH=$BIN:$PATH
out=$top/demo-out
rm -rf "$out"
mkdir -p "$out/kms" "$out/release/keys" "$out/release/inputs" "$out/release/secrets" "$out/release/fip"
step() { printf '\n== %s\n' "$*"; }

step "Signing host: 8 P-256 keys (MP1x/MP2x) and 8 P-384 keys (MP21, header 2.3) held by the loopback KMS endpoint (they never leave it)"
keyargs=""
for i in 0 1 2 3 4 5 6 7; do
	openssl ecparam -name prime256v1 -genkey -noout -out "$out/kms/k$i.pem" 2>/dev/null
	openssl ecparam -name secp384r1 -genkey -noout -out "$out/kms/p384-k$i.pem" 2>/dev/null
	keyargs="$keyargs --key stm32-k$i=$out/kms/k$i.pem --key mp21-k$i=$out/kms/p384-k$i.pem"
done
openssl ecparam -name prime256v1 -genkey -noout -out "$out/kms/tbbr.pem" 2>/dev/null
keyargs="$keyargs --key stm32-tbbr=$out/kms/tbbr.pem"   # TF-A's other roles (trusted world, ...)
# shellcheck disable=SC2086
/usr/bin/python3 "$top/tests/tools/kms_server.py" --cert-dir "$out/kms" $keyargs > "$out/kms/ready" &
server=$!
trap 'kill $server 2>/dev/null' EXIT INT TERM
for _ in $(seq 50); do grep -q READY "$out/kms/ready" 2>/dev/null && break; sleep 0.1; done
port=$(awk '{print $2}' "$out/kms/ready")
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1 AWS_ENDPOINT_URL_KMS="https://127.0.0.1:$port"
export AWS_CA_BUNDLE="$out/kms/kms-cert.pem" AWS_EC2_METADATA_DISABLED=true
echo "endpoint $AWS_ENDPOINT_URL_KMS (every request's SigV4 is checked with botocore)"

step "Signing host: export the public keys to carry to the build host"
for i in 0 1 2 3 4 5 6 7; do
	kms-sign-digest -q pubkey "awskms:///alias/stm32-k$i" -o "$out/release/keys/k$i.pub.pem"
	kms-sign-digest -q pubkey "awskms:///alias/mp21-k$i" -o "$out/release/keys/mp21-k$i.pub.pem"
done
kms-sign-digest -q pubkey "awskms:///alias/stm32-tbbr" -o "$out/release/keys/tbbr.pub.pem"
ls "$out/release/keys"

step "Build host: the key table and the OTP value to fuse (MP25: words 144-151)"
stm32-prep keys --soc stm32mp25 $(for i in 0 1 2 3 4 5 6 7; do printf -- '--pubkey %s ' "$out/release/keys/k$i.pub.pem"; done) \
	-o "$out/publicKeysHashHashes.bin" 2>/dev/null | grep -E '^(Header|Table hash|OTP words|  fuse)'
stm32-prep keys --soc stm32mp15 --pubkey "$out/release/keys/k0.pub.pem" -o "$out/mp15-otp.bin" >/dev/null
stm32-prep keys --soc stm32mp21 $(for i in 0 1 2 3 4 5 6 7; do printf -- '--pubkey %s ' "$out/release/keys/mp21-k$i.pub.pem"; done) \
	-o "$out/mp21-otp.bin" 2>/dev/null | grep -E '^(Header|Table hash|stm32mp21)'


step "Build host: the 16-byte OEM secret (as fused in OTP) that encrypts one FSBL"
head -c 16 /dev/urandom > "$out/release/secrets/oem_secret.bin"
echo "secrets/oem_secret.bin (never printed, never in the manifest)"

step "Build host (offline): prepare every image of the release"
cp "$top/examples/release.yaml" "$out/release/"
cp "$top"/tests/vectors/stm32/*.stm32 "$out/release/inputs/"
cp "$top/tests/vectors/st-signed/pay_65536.bin" "$out/release/inputs/mp21-fsbl.bin"
cp "$top"/tests/vectors/tbbr/images/* "$out/release/fip/"
stm32-prep --release "$out/release/release.yaml" --out-dir "$out/prepared"

step "Signing host: review, then sign the manifest's digests (no firmware crosses)"
kms-sign-digest --review "$out/prepared/manifest.yaml"
kms-sign-digest "$out/prepared/manifest.yaml" -o "$out/prepared/signatures.yaml" --jobs 8

step "Build host: inject and verify every image as the boot ROM will"
stm32-assemble "$out/prepared/manifest.yaml" "$out/prepared/signatures.yaml" --out-dir "$out/signed"

step "Verification table: stm32-inspect, and an independent ROM re-implementation (tests/tools/rom_check.py)"
for f in "$out"/signed/*.stm32; do
	case $f in
	*mp157*) otp=$out/mp15-otp.bin ;;
	*mp21*) otp=$out/mp21-otp.bin ;;
	*) otp=$out/publicKeysHashHashes.bin ;;
	esac
	enc=""  # the encrypted FSBL: both verifiers decrypt it with the OEM secret
	case $f in *-enc.stm32) enc="--oem-secret $out/release/secrets/oem_secret.bin" ;; esac
	# shellcheck disable=SC2086
	verdict=$(stm32-inspect --otp "$otp" $enc "$f" | sed -n 's/.*ROM verdict: *//p')
	# shellcheck disable=SC2086
	second=$(/usr/bin/python3 "$top/tests/tools/rom_check.py" --otp "$(xxd -p -c 32 "$otp")" $enc "$f" >/dev/null && echo accepted || echo REJECTED)
	printf '%-28s %-10s rom_check.py: %s\n' "$(basename "$f")" "$verdict" "$second"
	[ "$verdict" = accepted ] || exit 1
	[ "$second" = accepted ] || exit 1
done

step "The MP25 FIP: its TF-A certificates checked as BL2 will (root key = pk_hashes[0] of the signed FSBL)"
ls "$out/signed"/*.crt | xargs -n1 basename | tr '\n' ' '
echo
stm32-inspect --otp "$out/publicKeysHashHashes.bin" --fsbl "$out/signed/mp257f-ev1-fsbl-a.stm32" "$out/signed/fip.bin" \
	> "$out/fip-inspect.txt"
grep -E 'Entries|Chain|Root key' "$out/fip-inspect.txt"

step "The encrypted FSBL: decrypted in memory as the ROM does (stm32-inspect --oem-secret)"
stm32-inspect --otp "$out/publicKeysHashHashes.bin" --oem-secret "$out/release/secrets/oem_secret.bin" \
	"$out/signed/mp257f-ev1-fsbl-a-enc.stm32" > "$out/enc-inspect.txt"
grep -E 'check decryption|ROM verdict' "$out/enc-inspect.txt"
echo
echo "demo: every image verified; outputs in $out"
