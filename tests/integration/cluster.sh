# cluster.sh: start and stop a throwaway PostgreSQL 15 cluster for tests,
# the demo and the benchmark. Source it, then call cluster_start; a trap set
# by cluster_start always stops the server and removes its directory.
#
# The server runs as the "postgres" OS user when we are root (initdb refuses
# root), in a fresh mktemp directory, with its socket in that directory and a
# free TCP port on 127.0.0.1, wal_level=logical. Clients connect with the
# exported PGHOST/PGPORT/PGUSER/PGDATABASE, so psql and reckon need no flags.

CLUSTER_BINDIR=$(pg_config --bindir 2>/dev/null)
if [ ! -x "$CLUSTER_BINDIR/initdb" ]; then
	CLUSTER_BINDIR=/usr/lib/postgresql/15/bin
fi

cluster_as_owner()
{
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cluster_free_port()
{
	local port
	for _ in $(seq 1 50); do
		port=$((20000 + RANDOM % 20000))
		if ! (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	echo "cluster: no free port found" >&2
	return 1
}

# cluster_start [extra postgresql.conf lines...]
cluster_start()
{
	CLUSTER_DIR=$(mktemp -d /tmp/reckon-pg.XXXXXX)
	chmod 755 "$CLUSTER_DIR"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$CLUSTER_DIR"
	fi
	trap cluster_stop EXIT
	trap 'exit 130' INT TERM
	CLUSTER_PORT=$(cluster_free_port) || return 1
	cluster_as_owner "$CLUSTER_BINDIR/initdb" -D "$CLUSTER_DIR/data" \
		-U postgres -A trust --nosync -E UTF8 --locale=C >"$CLUSTER_DIR/initdb.log" 2>&1 || {
		cat "$CLUSTER_DIR/initdb.log" >&2
		return 1
	}
	{
		echo "port = $CLUSTER_PORT"
		echo "listen_addresses = '127.0.0.1'"
		echo "unix_socket_directories = '$CLUSTER_DIR'"
		echo "wal_level = logical"
		echo "max_replication_slots = 10"
		echo "max_wal_senders = 10"
		echo "fsync = off"
		echo "synchronous_commit = on"
		echo "full_page_writes = off"
		echo "shared_buffers = 256MB"
		echo "timezone = 'UTC'"
		for line in "$@"; do echo "$line"; done
	} >>"$CLUSTER_DIR/data/postgresql.conf"
	cluster_as_owner "$CLUSTER_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" -w \
		-l "$CLUSTER_DIR/server.log" start >/dev/null || {
		cat "$CLUSTER_DIR/server.log" >&2
		return 1
	}
	export PGHOST="$CLUSTER_DIR" PGPORT="$CLUSTER_PORT" PGUSER=postgres
	export PGDATABASE=postgres
}

# cluster_reload: make the server reread postgresql.conf and pg_hba.conf
# (asynchronous: SIGHUP; a test waits for the effect it needs).
cluster_reload()
{
	cluster_as_owner "$CLUSTER_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" \
		reload >/dev/null
}

# cluster_hba_prepend LINE...: put LINEs before initdb's "trust" lines of
# pg_hba.conf (the first matching line wins), then reload. Rewritten in
# place, so the file keeps its owner and mode.
cluster_hba_prepend()
{
	local hba="$CLUSTER_DIR/data/pg_hba.conf" rest
	rest=$(cat "$hba") || return 1
	{
		printf '%s\n' "$@"
		printf '%s\n' "$rest"
	} >"$hba" || return 1
	cluster_reload
}

# cluster_standby: a hot standby of the running cluster, as an operator
# makes one (pg_basebackup -R: it streams from the primary), with its own
# free port (STANDBY_PORT) and data in $CLUSTER_DIR/standby, its socket
# beside the primary's; cluster_stop stops it too.
cluster_standby()
{
	STANDBY_PORT=$(cluster_free_port) || return 1
	# -c fast: the backup's checkpoint at once, not spread over minutes
	cluster_as_owner "$CLUSTER_BINDIR/pg_basebackup" -h "$CLUSTER_DIR" \
		-p "$CLUSTER_PORT" -U postgres -D "$CLUSTER_DIR/standby" -R \
		-X stream -c fast --no-sync >"$CLUSTER_DIR/basebackup.log" 2>&1 || {
		cat "$CLUSTER_DIR/basebackup.log" >&2
		return 1
	}
	# the copied postgresql.conf is the primary's: the last setting wins
	{
		echo "port = $STANDBY_PORT"
		echo "hot_standby = on"
		echo "hot_standby_feedback = on"
	} >>"$CLUSTER_DIR/standby/postgresql.conf"
	cluster_as_owner "$CLUSTER_BINDIR/pg_ctl" -D "$CLUSTER_DIR/standby" -w \
		-l "$CLUSTER_DIR/standby.log" start >/dev/null || {
		cat "$CLUSTER_DIR/standby.log" >&2
		return 1
	}
}

# cluster_standby_stop: stop cluster_standby's standby and remove it.
cluster_standby_stop()
{
	if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/standby" ]; then
		cluster_as_owner "$CLUSTER_BINDIR/pg_ctl" -D "$CLUSTER_DIR/standby" \
			-m immediate stop >/dev/null 2>&1 || true
		rm -rf "$CLUSTER_DIR/standby"
	fi
}

cluster_stop()
{
	if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR" ]; then
		cluster_standby_stop
		cluster_as_owner "$CLUSTER_BINDIR/pg_ctl" -D "$CLUSTER_DIR/data" \
			-m immediate stop >/dev/null 2>&1 || true
		rm -rf "$CLUSTER_DIR"
	fi
	CLUSTER_DIR=
}
