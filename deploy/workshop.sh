#!/usr/bin/env bash
# Workshop server: N Streamlit processes on ports 8601.. behind HAProxy on one port,
# sticky by cookie. Ctrl-C stops everything it started. See deploy/README.md.
#
#   deploy/workshop.sh                      # one process per core, HAProxy on :8501
#   deploy/workshop.sh -n 4 -p 8080         # 4 processes, HAProxy on :8080
#   deploy/workshop.sh --no-proxy -n 8 --listen 0.0.0.0      # an app machine
#   deploy/workshop.sh --backends 10.0.0.2:8601-8608,10.0.0.3:8601-8608  # the front
#   deploy/workshop.sh --dry-run            # print the HAProxy config and commands
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cores="$(nproc)"
procs="$cores"
port=8501
bind=0.0.0.0
base_port=8601
listen=""
threads=""
app=streamlit_app.py
backends=""
proxy=1
warm=1
stats_port=8404
post_gc=false
dry=0
extra=()

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  cat <<EOF
Options:
  -n, --procs N        Streamlit processes (default: $cores, one per core)
  -p, --port PORT      HAProxy port (default: 8501)
  --bind ADDR          HAProxy address (default: 0.0.0.0, reachable on the LAN)
  --base-port PORT     first Streamlit port (default: 8601)
  --listen ADDR        Streamlit address (default: 127.0.0.1; 0.0.0.0 for --no-proxy)
  --threads T          torch threads per process (default: max(1, cores / N))
  --app FILE           entry file (default: streamlit_app.py)
  --backends LIST      run only HAProxy, in front of host:port[-port],... elsewhere
  --no-proxy           run only the Streamlit processes
  --no-warm            do not open one session per process before serving
  --stats-port PORT    HAProxy stats page on 127.0.0.1 (default: 8404; 0 = off)
  --post-script-gc     keep Streamlit's gc.collect(2) after every run (off here)
  --dry-run            print the rendered config and commands, start nothing
  -- ARGS              passed on to every \`streamlit run\`
EOF
}

die() { echo "workshop: $*" >&2; exit 1; }

while (($#)); do
  case "$1" in
    -n|--procs) procs="$2"; shift 2 ;;
    -p|--port) port="$2"; shift 2 ;;
    --bind) bind="$2"; shift 2 ;;
    --base-port) base_port="$2"; shift 2 ;;
    --listen) listen="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --app) app="$2"; shift 2 ;;
    --backends) backends="$2"; shift 2 ;;
    --no-proxy) proxy=0; shift ;;
    --no-warm) warm=0; shift ;;
    --stats-port) stats_port="$2"; shift 2 ;;
    --post-script-gc) post_gc=true; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
[[ "$procs" =~ ^[1-9][0-9]*$ ]] || die "--procs must be a positive integer"
[[ -z "$listen" ]] && { ((proxy)) && listen=127.0.0.1 || listen=0.0.0.0; }
[[ -z "$threads" ]] && threads=$(( cores / procs > 0 ? cores / procs : 1 ))
cd "$ROOT"

# ---------------------------------------------------------------- what runs where
servers=()     # host:port of every Streamlit process HAProxy sends to
local_ports=() # ports of the Streamlit processes started here
if [[ -n "$backends" ]]; then
  IFS=',' read -ra specs <<<"$backends"
  for spec in "${specs[@]}"; do
    host="${spec%:*}"; range="${spec##*:}"; lo="${range%-*}"; hi="${range#*-}"
    [[ "$lo" =~ ^[0-9]+$ && "$hi" =~ ^[0-9]+$ && -n "$host" ]] || die "bad backend: $spec"
    for ((p = lo; p <= hi; p++)); do servers+=("$host:$p"); done
  done
else
  for ((i = 0; i < procs; i++)); do
    local_ports+=($((base_port + i)))
    servers+=("127.0.0.1:$((base_port + i))")
  done
fi

PY="$ROOT/.venv/bin/python"
[[ -x "$PY" ]] || PY="$(command -v python3)"
STREAMLIT="$ROOT/.venv/bin/streamlit"
[[ -x "$STREAMLIT" ]] || STREAMLIT="$(command -v streamlit || true)"

# The hosted profile's server options (read at start-up only): no tracebacks, and the
# websocket message cap from attention/settings.py.
hosted=()
if [[ "${ATTENTION_PROFILE:-local}" == hosted ]]; then
  mb="$(cd "$ROOT" && "$PY" -c 'from attention.settings import SERVER_MESSAGE_MB as m; print(m["hosted"])')"
  hosted=(--client.showErrorDetails none --server.maxMessageSize "$mb" --runner.fastReruns false)
fi

# ---------------------------------------------------------------- HAProxy config
render() {
  local lines="" i=1 s
  for s in "${servers[@]}"; do
    lines+="    server st$i $s check cookie st$i"$'\n'
    i=$((i + 1))
  done
  local stats=""
  if [[ "$stats_port" != 0 ]]; then
    stats=$'listen stats\n    bind 127.0.0.1:'"$stats_port"$'\n    stats enable\n    stats uri /\n    stats refresh 5s'
  fi
  local cfg
  cfg="$(<"$ROOT/deploy/haproxy.cfg.template")"
  cfg="${cfg//@BIND@/$bind}"
  cfg="${cfg//@PORT@/$port}"
  cfg="${cfg//@SERVERS@/${lines%$'\n'}}"
  cfg="${cfg//@STATS@/$stats}"
  printf '%s\n' "$cfg"
}

# Per-visitor limits count a client address. Behind this script's HAProxy every connection
# comes from loopback, and HAProxy sets X-Forwarded-For to the visitor's address: trust it
# from loopback only. An app machine (--no-proxy) trusts the front named in the caller's
# ATTENTION_TRUSTED_PROXIES (e.g. its address), else no balancer: students connect directly.
trusted="${ATTENTION_TRUSTED_PROXIES:-}"
((proxy)) && [[ -z "$backends" && -z "$trusted" ]] && trusted="127.0.0.1,::1"

st_cmd() { # sets cmd to the command line of the Streamlit process on port $1
  # No file watcher (nobody edits the code mid-workshop) and no forced gc.collect(2)
  # after every run: with torch, pandas and altair loaded a full collection walks
  # ~280k objects, about 0.15 CPU-s per rerun (measured with py-spy, see README).
  cmd=("$STREAMLIT" run "$app" --server.headless true --server.address "$listen"
       --server.port "$1" --server.fileWatcherType none --server.runOnSave false
       --runner.postScriptGC "$post_gc" --browser.gatherUsageStats false
       ${hosted[@]+"${hosted[@]}"} ${extra[@]+"${extra[@]}"})
}

if ((dry)); then
  ((proxy)) && { echo "# haproxy.cfg"; render; echo; }
  echo "# environment: OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads" \
       "MALLOC_ARENA_MAX=2 ATTENTION_TRUSTED_PROXIES=$trusted" \
       "STREAMLIT_SERVER_COOKIE_SECRET=<shared>"
  for p in "${local_ports[@]}"; do st_cmd "$p"; echo "${cmd[*]}"; done
  ((proxy)) && echo "haproxy -f <run dir>/haproxy.cfg -db"
  exit 0
fi

# ---------------------------------------------------------------- prerequisites
if ((proxy)) && ! command -v haproxy >/dev/null 2>&1; then
  echo "workshop: HAProxy is missing; installing Debian's package" >&2
  if [[ "$(id -u)" == 0 ]]; then
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy; } >&2 \
      || die "could not install haproxy; run: apt-get install haproxy"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    { sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy; } >&2 \
      || die "could not install haproxy; run: sudo apt-get install haproxy"
  else
    die "HAProxy is not installed and I cannot install it; run: sudo apt-get install haproxy"
  fi
fi
if ((${#local_ports[@]})); then
  [[ -n "$STREAMLIT" && -x "$STREAMLIT" ]] || die "streamlit not found; run: make run (creates .venv)"
  [[ -f "$app" ]] || die "no entry file $app in $ROOT"
fi

run_dir="$(mktemp -d "${TMPDIR:-/tmp}/attention-workshop.XXXXXX")"
pids=()
stopping=0
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  ((stopping)) && return; stopping=1
  trap - INT TERM
  echo; echo "workshop: stopping ${#pids[@]} processes" >&2
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "workshop: stopped (logs in $run_dir)" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- Streamlit processes
# Same cookie secret everywhere, so signed cookies (st.login, XSRF) verify on any process.
secret="${STREAMLIT_SERVER_COOKIE_SECRET:-$("$PY" -c 'import secrets; print(secrets.token_hex(32))')}"
for p in "${local_ports[@]}"; do
  st_cmd "$p"
  OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads ATTENTION_TORCH_THREADS=$threads \
  STREAMLIT_SERVER_COOKIE_SECRET=$secret HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
  ATTENTION_TRUSTED_PROXIES="$trusted" MALLOC_ARENA_MAX=2 \
    "${cmd[@]}" >"$run_dir/streamlit-$p.log" 2>&1 &
  pids+=($!)
done

wait_healthy() { # host:port -> 0 when /_stcore/health answers 200 within 90 s
  "$PY" - "$1" <<'EOF'
import sys, time, urllib.request
url = f"http://{sys.argv[1]}/_stcore/health"
for _ in range(360):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        time.sleep(0.25)
sys.exit(1)
EOF
}
probe=127.0.0.1  # where this machine reaches its own processes
[[ "$listen" == 0.0.0.0 || "$listen" == 127.0.0.1 ]] || probe="$listen"
for p in "${local_ports[@]}"; do
  wait_healthy "$probe:$p" || { tail -20 "$run_dir/streamlit-$p.log" >&2; die "streamlit on :$p did not start"; }
done
if ((warm)) && ((${#local_ports[@]})) && [[ "$probe" == 127.0.0.1 ]]; then
  # One throwaway session per process, so the first students do not pay torch's import.
  for p in "${local_ports[@]}"; do
    "$PY" "$ROOT/bench/load.py" "http://127.0.0.1:$p/" --sessions 1 --duration 0.1 \
      --warmup 0 >"$run_dir/warm-$p.log" 2>&1 || echo "workshop: warm-up of :$p failed (see $run_dir)" >&2
  done
fi

# ---------------------------------------------------------------- HAProxy
if ((proxy)); then
  render >"$run_dir/haproxy.cfg"
  haproxy -c -q -f "$run_dir/haproxy.cfg" || die "invalid HAProxy config $run_dir/haproxy.cfg"
  haproxy -f "$run_dir/haproxy.cfg" -db 2>"$run_dir/haproxy.log" &
  pids+=($!)
  wait_healthy "127.0.0.1:$port" || die "HAProxy did not answer on :$port (see $run_dir/haproxy.log)"
fi

echo "workshop: ${#local_ports[@]} Streamlit processes (torch threads $threads each)," \
     "${#servers[@]} behind HAProxy: $( ((proxy)) && echo yes || echo no)"
if ((proxy)); then
  echo "  open    http://$( [[ $bind == 0.0.0.0 ]] && hostname -I 2>/dev/null | awk '{print $1}' || echo "$bind"):$port/"
  [[ "$stats_port" != 0 ]] && echo "  stats   http://127.0.0.1:$stats_port/"
  echo "  load    .venv/bin/python bench/load.py 'http://127.0.0.1:$port/multi_head?tokens=64&heads=8' -n 30 -d 60"
else
  for p in "${local_ports[@]}"; do echo "  serving $listen:$p"; done
fi
echo "  logs    $run_dir"
echo "Ctrl-C stops everything."

# Stay up until Ctrl-C or until one process dies (then stop the rest).
wait -n "${pids[@]}" || true
echo "workshop: a process exited; stopping the others" >&2
exit 1
