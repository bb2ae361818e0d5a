#!/bin/sh
# check_vectors.sh GEN_VECTORS COMMITTED_DIR SCRATCH_DIR
#
# Regenerates the golden vectors with the current encoder and compares them
# byte for byte with the committed ones (test/vectors/): any drift in the
# encoder's output fails here, and the diff names the vector.  To accept a
# deliberate change: build/native/Release/gen_vectors test/vectors
set -eu
gen=$1
committed=$2
scratch=$3
rm -rf "$scratch"
mkdir -p "$scratch"
"$gen" "$scratch"
n=$(ls "$scratch" | wc -l)
if diff -r -x ".*" "$committed" "$scratch"; then
	echo "ok: $n vector files identical"
else
	echo "not ok: encoder output differs from $committed (see diff above)"
	exit 1
fi
