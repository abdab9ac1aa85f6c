#!/usr/bin/env bash
# Prints, from a ctest log, how many comparisons ran and the largest differences they saw:
# golden comparisons against PyTorch fixtures ([compare] lines named after a fixture path,
# "/op/case ..."), other reference comparisons ([compare]), finite-difference checks ([gradcheck]).
# Only lines of the form "... max |diff| = X ..." count.
log=${1:?usage: summarize_diffs.sh LastTest.log}
[ -f "$log" ] || exit 0
awk '
  function diff_of(line) { if (match(line, /max \|diff\| = [-+0-9.eE]+/)) return substr(line, RSTART + 13, RLENGTH - 13) + 0; return -1 }
  /^\[compare\].*must (be large|differ)/ { n_neg++; next }   # negative controls: a big diff is the pass
  /^\[compare\]/ {
    v = diff_of($0); if (v < 0) next
    if ($2 ~ /^\//) { n_p++; if (v > max_p) { max_p = v; what_p = $0 } }
    else            { n_c++; if (v > max_c) { max_c = v; what_c = $0 } }
  }
  /^\[gradcheck\]/ { v = diff_of($0); if (v < 0) next; n_g++; if (v > max_g) { max_g = v; what_g = $0 } }
  END {
    printf "== %d golden comparisons against PyTorch (largest |diff| %.3e), %d other reference comparisons (largest %.3e), %d gradient checks (largest %.3e)\n", n_p, max_p, n_c, max_c, n_g, max_g
    if (n_neg) printf "   %d negative controls (a change that must show up did)\n", n_neg
    if (n_p) print "   worst golden:     " what_p
    if (n_c) print "   worst reference:  " what_c
    if (n_g) print "   worst gradcheck:  " what_g
  }' "$log"
# Tests that skipped part of their work (no GPU, no weights, no installed data) say so visibly.
grep -hE "^\[skip(ped)?\]|skipped: " "$log" | sed 's/^.*MESSAGE: //' | sort -u | sed 's/^/   skipped: /' || true
