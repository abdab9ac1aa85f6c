#!/usr/bin/env bash
# Prints, from a ctest log, how many comparisons ran and the largest differences they saw:
# golden comparisons against PyTorch ([compare] lines) and finite-difference checks ([gradcheck]).
log=${1:?usage: summarize_diffs.sh LastTest.log}
[ -f "$log" ] || exit 0
awk '
  /^\[compare\]/   { n_c++; v = $(NF-4) + 0; if (v > max_c) { max_c = v; what_c = $0 } }
  /^\[gradcheck\]/ { n_g++; v = $NF + 0;     if (v > max_g) { max_g = v; what_g = $0 } }
  END {
    printf "== comparisons: %d against references (largest |diff| %.3e), %d gradient checks (largest |diff| %.3e)\n", n_c, max_c, n_g, max_g
    if (n_c) print "   worst comparison: " what_c
    if (n_g) print "   worst gradcheck:  " what_g
  }' "$log"
