#!/usr/bin/env bash
# Writes the real data sets of `jkoflow-bench --suite=real` into a folder
# (default: data/real), from Debian packages only:
#   digits_train.npy, digits_test.npy  python3-sklearn's 8x8 digits
#                                      (1,797 images, values 0-16): a seeded
#                                      split of 1,500 train / 297 test
#   fashion-mnist/*-ubyte.gz           dataset-fashion-mnist's IDX files
#                                      (60,000 train / 10,000 test, 28x28)
# Nothing is downloaded from anywhere but Debian's package registry.
set -euo pipefail
out="${1:-data/real}"
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
dpkg -s dataset-fashion-mnist >/dev/null 2>&1 || missing+=(dataset-fashion-mnist)
dpkg -s python3-sklearn >/dev/null 2>&1 || missing+=(python3-sklearn)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq "${missing[@]}"
fi
mkdir -p "$out/fashion-mnist"
for f in $(dpkg -L dataset-fashion-mnist | grep -- '-ubyte.gz$'); do
  ln -sf "$f" "$out/fashion-mnist/$(basename "$f")"
done
# Debian's python3 (not a venv's) has Debian's sklearn and numpy.
/usr/bin/python3 - "$out" <<'PY'
import sys
import numpy as np
from sklearn.datasets import load_digits
out = sys.argv[1]
x = load_digits().data.astype(np.float32)          # [1797, 64], 0..16
order = np.random.default_rng(0).permutation(len(x))
np.save(f"{out}/digits_train.npy", x[order[:1500]])
np.save(f"{out}/digits_test.npy", x[order[1500:]])
print(f"real-data: digits {x.shape} -> {out}/digits_{{train,test}}.npy; "
      f"fashion-mnist IDX files -> {out}/fashion-mnist/")
PY
