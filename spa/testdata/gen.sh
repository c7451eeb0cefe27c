#!/bin/sh
# Regenerates the SPA test vectors with the real fwknop client (Debian's
# fwknop-client 2.6). For each vector NAME it writes:
#   NAME.args    the fwknop arguments (test keys only; never real ones)
#   NAME.packet  the packet, from fwknop --test --save-packet
#   NAME.fields  fwknop -v's own dump of the fields it put in the packet
# and fwknoprc, the rc file the passphrase vectors use.
# Nothing is sent (--test). Run from this directory: ./gen.sh
set -eu
K='Ho1vEkEqSEHC3vrmv8Cy0vT/L1SQd8OKvwjMn58W7xk='
H='FIq4c2iJ1ZIw+ArGAxKtVPQjMDZTlZFxgn07H7s3tBx+yBpOVoUcptUEKdC3hF2KqCRVydiJQyKyGKYjkG8Qng=='
# The rc file holds test passphrases only; the tests read it with ParseRC.
rc=fwknoprc
cat >"$rc" <<RC
[default]
SPA_SERVER_PORT 62201

[passphrase]
KEY          correct-horse
HMAC_KEY     battery-staple-hmac

[legacy]
KEY          shortpw
RC
chmod 600 "$rc" # fwknop wants its rc file private

vector() {
	name=$1; shift
	printf '%s\n' "$@" >"$name.args"
	fwknop --test --no-save-args -D 192.0.2.1 --save-packet "$name.packet" -v "$@" |
		sed -n '/^SPA Field Values:/,/^ Final SPA Data:/p' | sed -n '1,/Final SPA Data/p' >"$name.fields"
}

vector access --no-rc-file -A tcp/22 -a 192.0.2.7 --use-hmac --key-base64-rijndael "$K" --key-base64-hmac "$H"
vector timeout --no-rc-file -A tcp/22 -a 192.0.2.7 -f 45 --use-hmac --key-base64-rijndael "$K" --key-base64-hmac "$H"
vector multi_sha512 --no-rc-file -A tcp/22,udp/53,tcp/2222 -a 192.0.2.9 -U alice -m sha512 --hmac-digest-type sha512 --use-hmac --key-base64-rijndael "$K" --key-base64-hmac "$H"
vector sha3 --no-rc-file -A udp/1194 -a 192.0.2.10 -m sha3_256 --hmac-digest-type sha3_256 --use-hmac --key-base64-rijndael "$K" --key-base64-hmac "$H"
vector nohmac --no-rc-file -A tcp/22 -a 192.0.2.7 --key-base64-rijndael "$K"
vector passphrase --rc-file "$rc" -n passphrase -A tcp/22 -a 192.0.2.7 --use-hmac
# legacy mode cannot have an HMAC (fwknop refuses the pair).
vector legacy --rc-file "$rc" -n legacy -A tcp/22 -a 192.0.2.7 -M legacy
