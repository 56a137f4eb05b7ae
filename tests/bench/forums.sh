#!/usr/bin/env bash
# Forum benchmark (issue 4): on a database of 1,000 threads and 100,000
# posts, thread listing and post creation throughput with wrk, and search
# latency. Prints wrk's reports; results are recorded in docs/benchmarks.md.
# usage: tests/bench/forums.sh [THREADS] [POSTS]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS=${1:-1000}
POSTS=${2:-100000}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
dir=$(mktemp -d)
trap 'kill $gw 2>/dev/null; wait $gw 2>/dev/null; rm -rf "$dir"' EXIT
port=$((20000 + RANDOM % 20000))
cat > "$dir/gw.conf" <<CONF
log_level = warn
scrypt_log2_n = 10
sensitive_words = $PWD/config/sensitive-words.txt
CONF
gwbin=build/linli-gateway
tok=$($gwbin --config "$dir/gw.conf" --db "$dir/f.db" mint-token --user 1 --admin --ttl 7200)
$gwbin --config "$dir/gw.conf" --db "$dir/f.db" --port "$port" 2>"$dir/gw.log" &
gw=$!
for _ in $(seq 100); do curl -sf "localhost:$port/healthz" >/dev/null && break; sleep 0.05; done
url="http://127.0.0.1:$port"
curl -sf -H "Authorization: Bearer $tok" -d '{"name":"压测社区","grids":["1号楼"]}' "$url/v1/communities" >/dev/null
start=$(date +%s.%N)
node tests/bench/forums-seed.mjs "$url" "$tok" 1 "$THREADS" "$POSTS"
echo "seeding took $(echo "$(date +%s.%N) - $start" | bc) s ($POSTS posts through POST)"
echo "== thread listing: GET /v1/communities/1/threads?limit=20"
LINLI_TOKEN=$tok wrk -t2 -c32 -d10s -s tests/bench/get.lua "$url/v1/communities/1/threads?limit=20"
# Search first, over the seeded corpus (the post storm below would add
# 50,000 copies of one sentence to one thread).
for q in '%E5%9E%83%E5%9C%BE%E5%88%86%E7%B1%BB' '%E7%89%A9%E4%B8%9A%E8%B4%B9' '%E7%94%B5%E6%A2%AF' '%E5%81%9C%E6%B0%B4'; do
	echo "== search q=$(printf '%b' "${q//%/\\x}") (one connection: latency per query)"
	LINLI_TOKEN=$tok wrk -t1 -c1 -d5s --latency -s tests/bench/get.lua "$url/v1/communities/1/threads?q=$q"
done
echo "== post creation: POST /v1/threads/1/posts (each also stores and publishes its event)"
LINLI_TOKEN=$tok LINLI_POST_PATH=/v1/threads/1/posts wrk -t2 -c32 -d10s -s tests/bench/post.lua "$url"
