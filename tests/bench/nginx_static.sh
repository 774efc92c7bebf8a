# shellcheck shell=bash
# tests/bench/nginx_static.sh — a private nginx serving static files, the floor scripts/bench.sh
# sets srlite's GET throughput against (sourced after tests/lib.sh: free_port, T_PIDS).
# It needs no root and touches nothing outside its directory: its own -p prefix, -c config,
# pid file, error log and temp paths, and one loopback port. The system nginx service that
# Debian's package brings (scripts/deps.sh keeps it from starting) plays no part.

# nginx_static_start DIR: serves DIR/www (files laid out by the caller under the URL paths they
# answer) on a free 127.0.0.1 port, with one worker process per core (worker_processes auto),
# no access log, open files cached, keep-alive for the whole run. Sets NGINX_URL and
# NGINX_PIDS (the master, killed with the script's other processes and taking the workers
# with it, then the workers).
# Returns 1 when nginx is missing or does not come up (its error log printed on stderr).
nginx_static_start() {
	local dir=$1 bin port i user=""
	bin=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
	[ -x "$bin" ] || return 1
	mkdir -p "$dir/tmp" "$dir/logs"
	# As root the workers would drop to "nobody", who cannot read a 0700 temp dir.
	[ "$(id -u)" = 0 ] && user="user root;"
	for _ in 1 2 3; do
		port=$(free_port)
		cat >"$dir/nginx.conf" <<EOF
# Written by tests/bench/nginx_static.sh for one make bench run.
$user
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	default_type application/vnd.schemaregistry.v1+json;
	# A static server at its best for a body of a few hundred bytes: the file stays open
	# (no open/fstat/close per request) and goes out with the headers in one write, as
	# srlite's answer from memory does; sendfile() would add a system call per request.
	open_file_cache max=64 inactive=60s;
	open_file_cache_valid 60s;
	sendfile off;
	# srlite (libmicrohttpd) closes no keep-alive connection after N requests; nor does this.
	keepalive_requests 100000000;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	server {
		listen 127.0.0.1:$port;
		root $dir/www;
	}
}
EOF
		: >"$dir/logs/error.log"
		"$bin" -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" -g 'daemon off;' \
			</dev/null >"$dir/logs/stderr.log" 2>&1 &
		NGINX_PID=$!
		T_PIDS+=("$NGINX_PID")
		NGINX_URL=http://127.0.0.1:$port
		for ((i = 0; i < 200; i++)); do
			grep -qs "Address already in use" "$dir/logs/error.log" && break
			kill -0 "$NGINX_PID" 2>/dev/null || break
			if curl -s -o /dev/null "$NGINX_URL/"; then
				# shellcheck disable=SC2034 # read by the caller
				NGINX_PIDS="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"
				return 0
			fi
			sleep 0.05
		done
		kill "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
		grep -qs "Address already in use" "$dir/logs/error.log" || break
	done
	cat "$dir/logs/stderr.log" "$dir/logs/error.log" >&2
	return 1
}
