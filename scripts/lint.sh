#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks, as a maintainer would run them before applying a patch:
# checkpatch --strict on every C file and header, shellcheck on every
# script, docutils on every reStructuredText document, and for every
# installed kernel a W=1 build under sparse (C=2 checks every file, not
# just rebuilt ones). Prints KTAP and a final "N passed, N failed"; exits 1 on any finding.
# Usage: scripts/lint.sh [-k KVER]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
CHECKPATCH=${CHECKPATCH:-/var/cache/loopnic/linux-source-6.1/scripts/checkpatch.pl}

kvers=()
while getopts "k:" opt; do
	case $opt in
	k) kvers+=("$OPTARG") ;;
	*) echo "usage: $0 [-k KVER]..." >&2; exit 2 ;;
	esac
done
[ ${#kvers[@]} -gt 0 ] || mapfile -t kvers < <(scripts/kernels.sh)

passed=0 failed=0 n=0
result() {	# result OK|FAIL description [output]
	n=$((n + 1))
	if [ "$1" = OK ]; then
		passed=$((passed + 1))
		echo "ok $n $2"
	else
		failed=$((failed + 1))
		echo "not ok $n $2"
		printf '%s\n' "$3" | sed 's/^/# /'
	fi
}

echo "TAP version 13"
echo "1..$((3 + ${#kvers[@]}))"

mapfile -t cfiles < <(git ls-files -co --exclude-standard -- '*.c' '*.h')
out=$(perl "$CHECKPATCH" --strict --no-tree --quiet --show-types \
	--ignore FILE_PATH_CHANGES,CAMELCASE -f "${cfiles[@]}" 2>&1) && rc=0 || rc=$?
# In a kernel tree checkpatch exempts CamelCase the kernel's own headers
# define (struct ethtool_eth_mac_stats' IEEE 802.3 names); --no-tree cannot
# see them, so exempt exactly those, found in the installed headers.
hdrs=(/usr/src/linux-headers-*-common/include)
for word in $(perl "$CHECKPATCH" --strict --no-tree --quiet --types CAMELCASE \
	-f "${cfiles[@]}" 2>&1 | sed -n 's/.*Avoid CamelCase: <\(.*\)>.*/\1/p' | sort -u); do
	if ! grep -rqw -- "$word" "${hdrs[0]}"; then
		out+="${out:+$'\n'}CHECK:CAMELCASE: Avoid CamelCase: <$word>"
		rc=1
	fi
done
if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
	result OK "checkpatch --strict (${#cfiles[@]} files)"
else
	result FAIL "checkpatch --strict (${#cfiles[@]} files)" "$out"
fi

mapfile -t sh < <(git ls-files -co --exclude-standard -- '*.sh' .ci/run)
if out=$(shellcheck -x "${sh[@]}" 2>&1); then
	result OK "shellcheck (${#sh[@]} scripts)"
else
	result FAIL "shellcheck (${#sh[@]} scripts)" "$out"
fi

mapfile -t rst < <(git ls-files -co --exclude-standard -- '*.rst')
# Debian's python3, with python3-docutils from setup.sh, whatever python3
# comes first in PATH.
if out=$(/usr/bin/python3 scripts/rst-check.py "${rst[@]}" 2>&1); then
	result OK "docutils (${#rst[@]} documents)"
else
	result FAIL "docutils (${#rst[@]} documents)" "$out"
fi

for kver in "${kvers[@]}"; do
	if out=$(scripts/build.sh -d "build/lint/$kver" "$kver" C=2 2>&1); then
		result OK "W=1 + sparse build on $kver"
	else
		result FAIL "W=1 + sparse build on $kver" "$out"
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
