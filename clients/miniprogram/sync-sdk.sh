#!/bin/sh
# Copies the JS SDK into the mini-program (WeChat cannot import from
# outside the mini-program's folder). Run before opening the folder in
# WeChat DevTools; ./linli is not committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$here/linli"
cp -R "$here/../js/src" "$here/linli"
echo "SDK copied to $here/linli"
