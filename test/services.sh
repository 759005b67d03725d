#!/usr/bin/env bash
# Installs, starts and stops the real services that vigia's integration tests talk to.
#
#   bash test/services.sh install          apt packages + ZincSearch binary (cached)   [root]
#   bash test/services.sh install-browser  chromium + chromium-driver                  [root]
#   bash test/services.sh start            start everything on 127.0.0.1, write $VIGIA_RUNDIR/env
#   bash test/services.sh stop             stop what start started (by PID)
#   bash test/services.sh status           print what runs
#
# Everything binds to 127.0.0.1. See test/README.md for ports and the variables in the env file.
set -Eeuo pipefail

RUNDIR=${VIGIA_RUNDIR:-/tmp/vigia-it}
CACHE=${VIGIA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigia}
WAIT=${VIGIA_SERVICE_WAIT:-90}   # seconds each service may take to answer

ZINC_VERSION=v0.4.10
ZINC_TOOLCHAIN=go1.21.13
ZINC_PORT=${VIGIA_ZINC_PORT:-4080}
ZINC_USER='admin'
# Test-only credentials for throw-away local services; nothing here guards real data.
ZINC_PASSWORD=vigia-it-zinc
AM_PORT=${VIGIA_ALERTMANAGER_PORT:-9093}
AM_WEBHOOK_PORT=${VIGIA_ALERTMANAGER_WEBHOOK_PORT:-19093}
PROM_PORT=${VIGIA_PROMETHEUS_PORT:-9090}
ZBX_WEB_PORT=${VIGIA_ZABBIX_WEB_PORT:-8080}
ZBX_PORT=${VIGIA_ZABBIX_PORT:-10051}
ZBX_DB=zabbix
ZBX_DB_USER=zabbix
ZBX_DB_PASSWORD=vigia-it-zabbix
ZBX_USER=Admin
ZBX_PASSWORD=zabbix   # Zabbix's shipped default for Admin

APT_PACKAGES=(systemd prometheus prometheus-alertmanager postgresql zabbix-server-pgsql zabbix-agent
	zabbix-frontend-php php-pgsql php-cli curl ca-certificates)
BROWSER_PACKAGES=(chromium chromium-driver)
# Services whose Debian packages start a daemon on install (0.0.0.0 ports we want for ourselves).
DEBIAN_DAEMONS=(prometheus prometheus-alertmanager prometheus-node-exporter zabbix-server zabbix-agent)

T0=${EPOCHREALTIME/./}
log() {
	local us=$((${EPOCHREALTIME/./} - T0))
	printf '[services %3d.%01ds] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*" >&2
}
die() {
	printf '[services] ERROR: %s\n' "$*" >&2
	exit 1
}
now() { date +%s; }

need_root() {
	# install: apt; start: the system PostgreSQL cluster and /etc/zabbix/zabbix.conf.php.
	[[ $(id -u) -eq 0 ]] || die "'$1' must run as root (try: sudo bash test/services.sh $1)"
}

# ---------------------------------------------------------------------------------------------
# install

apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [[ ${#missing[@]} -eq 0 ]]; then
		log "apt: already installed: $*"
		return 0
	fi
	# Debian's postinst scripts would start prometheus, alertmanager, zabbix-server and
	# zabbix-agent on 0.0.0.0. A policy-rc.d that answers 101 tells invoke-rc.d not to start
	# anything; keep an existing one, remove only the one we created.
	local policy=/usr/sbin/policy-rc.d created_policy=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		created_policy=1
	fi
	local marker="$CACHE/apt-updated" updated=0
	mkdir -p "$CACHE"
	# One apt-get update per machine and day is enough; a fresh machine has no marker.
	if [[ ! -f $marker ]] || [[ $(find "$marker" -mmin +1440 2>/dev/null) ]]; then
		apt_update || {
			[[ $created_policy -eq 1 ]] && rm -f "$policy"
			die "apt-get update failed"
		}
		updated=1
	fi
	log "apt-get install ${missing[*]}"
	local rc=0
	apt_get_install "${missing[@]}" || rc=$?
	if [[ $rc -ne 0 && $updated -eq 0 ]]; then
		# Package lists from an earlier day may name files the mirror no longer has.
		log "apt-get install failed with lists from an earlier update; updating and retrying"
		rc=0
		apt_update && apt_get_install "${missing[@]}" || rc=$?
	fi
	[[ $created_policy -eq 1 ]] && rm -f "$policy"
	if [[ $rc -ne 0 ]]; then
		tail -n 30 "$CACHE/apt-install.log" >&2
		die "apt-get install failed (full log: $CACHE/apt-install.log)"
	fi
}

apt_update() {
	log "apt-get update"
	apt-get update -qq && touch "$CACHE/apt-updated"
}

apt_get_install() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" \
		>"$CACHE/apt-install.log" 2>&1
}

# stop_debian_daemons stops daemons that a package may have started anyway (no policy-rc.d
# honoured, or systemd), and keeps them from starting at boot, so our own instances own the ports.
stop_debian_daemons() {
	local d
	for d in "${DEBIAN_DAEMONS[@]}"; do
		if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
			systemctl disable --now "$d" >/dev/null 2>&1 || true
		elif [[ -x /etc/init.d/$d ]]; then
			if /etc/init.d/"$d" status >/dev/null 2>&1; then
				log "stopping Debian's own $d daemon"
				/etc/init.d/"$d" stop >/dev/null 2>&1 || true
			fi
			update-rc.d "$d" disable >/dev/null 2>&1 || true
		fi
	done
}

zinc_bin() { echo "$CACHE/zincsearch-$ZINC_VERSION"; }

build_zinc() {
	local bin
	bin=$(zinc_bin)
	if [[ -x $bin ]]; then
		log "zincsearch $ZINC_VERSION: cached at $bin"
		return 0
	fi
	command -v go >/dev/null || die "go is not on PATH: it is needed to build ZincSearch"
	log "building zincsearch $ZINC_VERSION with $ZINC_TOOLCHAIN (about 2 minutes, once)"
	local t0 work dir
	t0=$(now)
	work=$(mktemp -d)
	# The module cache holds the source read-only; build from a writable copy because the UI
	# (web/dist) is not part of the module and has to be created for go:embed.
	dir=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/zincsearch/zincsearch@$ZINC_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -n $dir && -d $dir ]] || die "go mod download github.com/zincsearch/zincsearch@$ZINC_VERSION gave no source directory"
	cp -r "$dir" "$work/src"
	chmod -R u+w "$work/src"
	mkdir -p "$work/src/web/dist"
	printf '<!doctype html><title>zincsearch</title><p>UI not built (vigia test build)</p>\n' >"$work/src/web/dist/index.html"
	mkdir -p "$CACHE"
	if ! (cd "$work/src" && GOTOOLCHAIN=$ZINC_TOOLCHAIN GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
		go build -trimpath -ldflags='-s -w' -o "$work/zincsearch" ./cmd/zincsearch) >"$CACHE/zinc-build.log" 2>&1; then
		tail -n 30 "$CACHE/zinc-build.log" >&2
		die "building zincsearch failed (log: $CACHE/zinc-build.log, source copy kept in $work/src)"
	fi
	mv "$work/zincsearch" "$bin.tmp" && mv "$bin.tmp" "$bin"
	rm -rf "$work"
	log "zincsearch built in $(($(now) - t0))s: $bin"
}

cmd_install() {
	need_root install
	local t0 zinc_pid
	t0=$(now)
	mkdir -p "$RUNDIR/pids" "$RUNDIR/logs" "$CACHE"
	# The ZincSearch build needs only Go and the module proxy: run it beside apt (it is the
	# longest step on a fresh machine) and wait for it at the end.
	build_zinc &
	zinc_pid=$!
	# If install fails before the build ends, stop the build (its shell and that shell's children).
	trap 'pkill -TERM -P "$zinc_pid" 2>/dev/null; kill "$zinc_pid" 2>/dev/null || true' EXIT
	apt_install "${APT_PACKAGES[@]}"
	stop_debian_daemons
	# Import the Zabbix database now, while Zinc still compiles, rather than in start.
	local pg_was_ours=0
	[[ -f $RUNDIR/pids/postgresql.started ]] && pg_was_ours=1 # started by an earlier start
	start_postgres
	zabbix_db
	[[ $pg_was_ours -eq 1 ]] || stop_postgres_if_we_started_it
	wait "$zinc_pid" || die "building zincsearch failed (see above)"
	trap - EXIT
	log "install done in $(($(now) - t0))s"
}

cmd_install_browser() {
	need_root install-browser
	local t0
	t0=$(now)
	apt_install "${BROWSER_PACKAGES[@]}"
	log "install-browser done in $(($(now) - t0))s"
}

# ---------------------------------------------------------------------------------------------
# process bookkeeping: $RUNDIR/pids/NAME.pid holds "PID EXE"; each service runs in its own
# session (setsid), so stopping it signals its whole process group and no worker survives.

pidfile() { echo "$RUNDIR/pids/$1.pid"; }
logfile() { echo "$RUNDIR/logs/$1.log"; }

# running NAME: true when the recorded PID is alive and still the program we started.
running() {
	local f pid exe
	f=$(pidfile "$1")
	[[ -f $f ]] || return 1
	read -r pid exe <"$f" || return 1
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
	[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]]
}

# port_busy PORT: true when something already accepts connections on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# spawn NAME PORT CMD...: start CMD detached, with its own session, logging to logs/NAME.log.
spawn() {
	local name=$1 port=$2
	shift 2
	if running "$name"; then
		log "$name: already running (pid $(cut -d' ' -f1 "$(pidfile "$name")"))"
		return 0
	fi
	if [[ $port != - ]] && port_busy "$port"; then
		die "$name: 127.0.0.1:$port is already in use by another program; stop it or choose another port (see test/README.md)"
	fi
	local exe
	exe=$(readlink -f "$(command -v "$1")") || die "$name: $1 not found (run: bash test/services.sh install)"
	printf '\n=== %s starting %s\n' "$(date -Is)" "$*" >>"$(logfile "$name")"
	# Only stdin/stdout/stderr reach the service: an inherited pipe (CI's output, say) held open
	# by a daemon would keep whoever reads it waiting after this script ends.
	setsid "$@" </dev/null >>"$(logfile "$name")" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo "$! $exe" >"$(pidfile "$name")"
	log "$name: started pid $! ($*)"
}

# wait_for NAME CHECK...: run CHECK until it succeeds, for at most $WAIT seconds; fail naming
# the service, with the end of its log, if it dies or does not answer in time.
wait_for() {
	local name=$1 deadline
	shift
	deadline=$(($(now) + WAIT))
	until "$@" >/dev/null 2>&1; do
		if [[ -f $(pidfile "$name") ]] && ! running "$name"; then
			tail -n 40 "$(logfile "$name")" >&2 || true
			die "$name exited during start-up (log: $(logfile "$name"))"
		fi
		if (($(now) >= deadline)); then
			tail -n 40 "$(logfile "$name")" >&2 || true
			die "$name did not answer within ${WAIT}s (check: $*; log: $(logfile "$name"))"
		fi
		sleep 0.3
	done
	log "$name: ready"
}

http_ok() { curl -fsS --max-time 3 -o /dev/null "$@"; }

# ---------------------------------------------------------------------------------------------
# PostgreSQL (the system cluster) + Zabbix database

pg_cluster() {
	# Newest installed major version, its "main" cluster.
	local ver
	ver=$(find /usr/lib/postgresql -maxdepth 1 -mindepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n1)
	[[ -n $ver ]] || die "postgresql: no server installed (run: bash test/services.sh install)"
	echo "$ver"
}

pg_port() { pg_lsclusters -h | awk -v v="$1" '$1 == v && $2 == "main" {print $3}'; }

as_postgres() { runuser -u postgres -- "$@"; }

start_postgres() {
	local ver port
	ver=$(pg_cluster)
	if [[ -z $(pg_port "$ver") ]]; then
		log "postgresql: creating cluster $ver/main"
		pg_createcluster "$ver" main >/dev/null
	fi
	port=$(pg_port "$ver")
	if ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main"' | grep -q online; then
		pg_ctlcluster "$ver" main start || die "postgresql: pg_ctlcluster $ver main start failed (log: /var/log/postgresql/postgresql-$ver-main.log)"
		# Remember that we started it, so stop stops it and leaves a cluster we found running alone.
		echo "$ver main" >"$RUNDIR/pids/postgresql.started"
		log "postgresql: started cluster $ver/main on port $port"
	else
		log "postgresql: cluster $ver/main already online on port $port"
	fi
	wait_for postgresql pg_isready -q -h 127.0.0.1 -p "$port"
	PG_PORT=$port
}

zabbix_db() {
	local psql_admin=(as_postgres env PGOPTIONS='-c client_min_messages=warning' psql -q -X -v ON_ERROR_STOP=1 -p "$PG_PORT")
	"${psql_admin[@]}" -c "DO \$\$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ZBX_DB_USER') THEN
			CREATE ROLE $ZBX_DB_USER LOGIN;
		END IF;
	END \$\$;" -c "ALTER ROLE $ZBX_DB_USER WITH LOGIN PASSWORD '$ZBX_DB_PASSWORD';" >/dev/null ||
		die "zabbix: creating the database role failed"
	local zpsql=(env PGPASSWORD="$ZBX_DB_PASSWORD" psql -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$ZBX_DB_USER")
	# The schema, images and data go in as one transaction: either the database is complete
	# (users exist) or it is dropped and imported again.
	if [[ $("${zpsql[@]}" -d "$ZBX_DB" -tAc "SELECT count(*) FROM users" 2>/dev/null) =~ ^[1-9] ]]; then
		log "zabbix: database already imported"
		return 0
	fi
	local t0 dir=/usr/share/zabbix-server-pgsql
	t0=$(now)
	log "zabbix: importing schema, images and data into database $ZBX_DB (once)"
	"${psql_admin[@]}" -c "DROP DATABASE IF EXISTS $ZBX_DB" -c "CREATE DATABASE $ZBX_DB OWNER $ZBX_DB_USER ENCODING 'UTF8' TEMPLATE template0" >/dev/null ||
		die "zabbix: creating database $ZBX_DB failed"
	{
		echo "SET synchronous_commit = off;"
		zcat "$dir/schema.sql.gz" "$dir/images.sql.gz" "$dir/data.sql.gz"
		# The shipped "Zabbix server" host polls an agent on 127.0.0.1:10050 that nobody runs:
		# disable it so the server log stays about what the tests do.
		echo "UPDATE hosts SET status = 1 WHERE host = 'Zabbix server';"
	} | "${zpsql[@]}" -d "$ZBX_DB" -1 >"$RUNDIR/logs/zabbix-import.log" 2>&1 || {
		tail -n 20 "$RUNDIR/logs/zabbix-import.log" >&2
		die "zabbix: importing $dir/*.sql.gz failed (log: $RUNDIR/logs/zabbix-import.log)"
	}
	log "zabbix: database imported in $(($(now) - t0))s"
}

# ---------------------------------------------------------------------------------------------
# Zabbix server + frontend (API)

zabbix_rpc() { # METHOD PARAMS [AUTH]
	local auth=${3:+,\"auth\":\"$3\"}
	curl -fsS --max-time 10 -H 'Content-Type: application/json-rpc' \
		-d "{\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":$2,\"id\":1$auth}" \
		"http://127.0.0.1:$ZBX_WEB_PORT/api_jsonrpc.php"
}

zabbix_api_ready() { zabbix_rpc apiinfo.version '{}' | grep -q '"result":"'; }

zabbix_login_works() {
	local out token
	out=$(zabbix_rpc user.login "{\"username\":\"$ZBX_USER\",\"password\":\"$ZBX_PASSWORD\"}") || return 1
	token=$(sed -n 's/.*"result":"\([0-9a-f]*\)".*/\1/p' <<<"$out")
	[[ -n $token ]] || {
		echo "user.login answered: $out" >&2
		return 1
	}
	zabbix_rpc user.logout '[]' "$token" >/dev/null || true
}

write_zabbix_configs() {
	local dir=$RUNDIR/zabbix
	mkdir -p "$dir"
	cat >"$dir/zabbix_server.conf" <<CONF
# Written by test/services.sh: a small Zabbix server for vigia's integration tests.
ListenIP=127.0.0.1
ListenPort=$ZBX_PORT
# Foreground (-f) and console logging: the log lands in logs/zabbix-server.log.
LogType=console
PidFile=$dir/zabbix_server.pid
SocketDir=$dir
TmpDir=$dir
DBHost=127.0.0.1
DBPort=$PG_PORT
DBName=$ZBX_DB
DBUser=$ZBX_DB_USER
DBPassword=$ZBX_DB_PASSWORD
# New trapper items accept values within ~2 s instead of up to 60 s.
CacheUpdateFrequency=2
# Few processes: the tests send trapper values and use the API, nothing is polled.
StartPollers=1
StartPollersUnreachable=1
StartPreprocessors=1
StartHistoryPollers=1
StartTrappers=2
StartPingers=0
StartDiscoverers=0
StartHTTPPollers=0
StartTimers=1
StartEscalators=1
StartAlerters=1
StartDBSyncers=1
StartLLDProcessors=1
StartProxyPollers=0
HousekeepingFrequency=0
Timeout=4
AllowRoot=1
FpingLocation=/usr/bin/fping
StatsAllowedIP=127.0.0.1
CONF
	chmod 600 "$dir/zabbix_server.conf"

	# The frontend reads its configuration from this fixed path (CConfigFile::CONFIG_FILE_PATH).
	local conf=/etc/zabbix/zabbix.conf.php tmp
	tmp=$(mktemp)
	cat >"$tmp" <<CONF
<?php
// Written by test/services.sh for vigia's integration tests.
\$DB['TYPE']           = 'POSTGRESQL';
\$DB['SERVER']         = '127.0.0.1';
\$DB['PORT']           = '$PG_PORT';
\$DB['DATABASE']       = '$ZBX_DB';
\$DB['USER']           = '$ZBX_DB_USER';
\$DB['PASSWORD']       = '$ZBX_DB_PASSWORD';
\$DB['SCHEMA']         = '';
\$DB['ENCRYPTION']     = false;
\$DB['KEY_FILE']       = '';
\$DB['CERT_FILE']      = '';
\$DB['CA_FILE']        = '';
\$DB['VERIFY_HOST']    = false;
\$DB['CIPHER_LIST']    = '';
\$DB['VAULT_URL']      = '';
\$DB['VAULT_DB_PATH']  = '';
\$DB['VAULT_TOKEN']    = '';
\$DB['DOUBLE_IEEE754'] = true;
\$ZBX_SERVER           = '127.0.0.1';
\$ZBX_SERVER_PORT      = '$ZBX_PORT';
\$ZBX_SERVER_NAME      = 'vigia-it';
\$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
CONF
	if [[ -f $conf ]] && ! grep -q 'test/services.sh' "$conf" && [[ ! -f $conf.vigia-backup ]]; then
		cp -p "$conf" "$conf.vigia-backup"
		log "zabbix: kept the existing $conf as $conf.vigia-backup"
	fi
	cmp -s "$tmp" "$conf" 2>/dev/null || install -m 644 "$tmp" "$conf"
	rm -f "$tmp"
}

start_zabbix() {
	write_zabbix_configs
	spawn zabbix-server "$ZBX_PORT" zabbix_server -f -c "$RUNDIR/zabbix/zabbix_server.conf"
	# The built-in server handles one request at a time unless it forks workers.
	PHP_CLI_SERVER_WORKERS=4 spawn zabbix-web "$ZBX_WEB_PORT" php \
		-d date.timezone=UTC -d memory_limit=512M -d max_execution_time=300 -d opcache.enable_cli=1 \
		-d post_max_size=16M -d display_errors=stderr \
		-S "127.0.0.1:$ZBX_WEB_PORT" -t /usr/share/zabbix
}

# ---------------------------------------------------------------------------------------------
# ZincSearch, Alertmanager, Prometheus

start_zinc() {
	local bin
	bin=$(zinc_bin)
	[[ -x $bin ]] || die "zinc: $bin is missing (run: bash test/services.sh install)"
	mkdir -p "$RUNDIR/zinc/data"
	# Zinc reads a .env from its working directory; give it an empty one of ours.
	cd "$RUNDIR/zinc"
	: >.env
	GIN_MODE=release ZINC_SERVER_ADDRESS=127.0.0.1 ZINC_SERVER_PORT=$ZINC_PORT \
		ZINC_DATA_PATH="$RUNDIR/zinc/data" ZINC_FIRST_ADMIN_USER=$ZINC_USER \
		ZINC_FIRST_ADMIN_PASSWORD=$ZINC_PASSWORD ZINC_SENTRY=false ZINC_TELEMETRY=false \
		ZINC_PROFILER=false ZINC_SWAGGER_ENABLE=false ZINC_SHARD_NUM=1 \
		spawn zinc "$ZINC_PORT" "$bin"
	cd - >/dev/null
}

start_alertmanager() {
	local dir=$RUNDIR/alertmanager
	mkdir -p "$dir/data"
	cat >"$dir/alertmanager.yml" <<CONF
# Written by test/services.sh. Every alert goes to one webhook; a test that wants to see the
# notifications listens on 127.0.0.1:$AM_WEBHOOK_PORT (or starts its own Alertmanager).
route:
  receiver: webhook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: webhook
    webhook_configs:
      - url: http://127.0.0.1:$AM_WEBHOOK_PORT/
        send_resolved: true
CONF
	spawn alertmanager "$AM_PORT" prometheus-alertmanager \
		--config.file="$dir/alertmanager.yml" --storage.path="$dir/data" \
		--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
		--web.external-url="http://127.0.0.1:$AM_PORT/"
}

start_prometheus() {
	local dir=$RUNDIR/prometheus
	mkdir -p "$dir/data"
	cat >"$dir/prometheus.yml" <<CONF
# Written by test/services.sh: scrapes itself and sends alerts to the test Alertmanager.
global: {scrape_interval: 5s, evaluation_interval: 5s}
alerting:
  alertmanagers: [{static_configs: [{targets: ['127.0.0.1:$AM_PORT']}]}]
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:$PROM_PORT']}]
CONF
	spawn prometheus "$PROM_PORT" prometheus \
		--config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-lifecycle
}

# ---------------------------------------------------------------------------------------------
# env file

shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

write_env() {
	local f=$RUNDIR/env
	{
		echo "# Written by test/services.sh start on $(date -Is). Source it: . $f"
		local kv
		for kv in \
			"VIGIA_IT=1" \
			"VIGIA_RUNDIR=$RUNDIR" \
			"VIGIA_ZINC_URL=http://127.0.0.1:$ZINC_PORT/es" \
			"VIGIA_ZINC_USER=$ZINC_USER" \
			"VIGIA_ZINC_PASSWORD=$ZINC_PASSWORD" \
			"VIGIA_ZINC_BIN=$(zinc_bin)" \
			"VIGIA_ALERTMANAGER_URL=http://127.0.0.1:$AM_PORT" \
			"VIGIA_ALERTMANAGER_BIN=$(command -v prometheus-alertmanager)" \
			"VIGIA_ALERTMANAGER_WEBHOOK_URL=http://127.0.0.1:$AM_WEBHOOK_PORT/" \
			"VIGIA_AMTOOL=$(command -v amtool)" \
			"VIGIA_PROMETHEUS_URL=http://127.0.0.1:$PROM_PORT" \
			"VIGIA_PROMETHEUS_BIN=$(command -v prometheus)" \
			"VIGIA_PROMTOOL=$(command -v promtool)" \
			"VIGIA_ZABBIX_API=http://127.0.0.1:$ZBX_WEB_PORT/api_jsonrpc.php" \
			"VIGIA_ZABBIX_USER=$ZBX_USER" \
			"VIGIA_ZABBIX_PASSWORD=$ZBX_PASSWORD" \
			"VIGIA_ZABBIX_SENDER_ADDR=127.0.0.1:$ZBX_PORT" \
			"VIGIA_ZABBIX_SENDER_BIN=$(command -v zabbix_sender)"; do
			echo "export ${kv%%=*}=$(shq "${kv#*=}")"
		done
		if [[ -x /usr/bin/chromium ]]; then
			echo "export VIGIA_CHROMIUM=$(shq /usr/bin/chromium)"
		fi
		if [[ -x /usr/bin/chromedriver ]]; then
			echo "export VIGIA_CHROMEDRIVER=$(shq /usr/bin/chromedriver)"
		fi
	} >"$f.tmp"
	mv "$f.tmp" "$f"
	log "wrote $f"
}

cmd_start() {
	need_root start
	local t0
	t0=$(now)
	mkdir -p "$RUNDIR/pids" "$RUNDIR/logs"
	stop_debian_daemons
	# Start what needs nothing else first, so it boots while the database is prepared.
	start_zinc
	start_alertmanager
	start_postgres
	zabbix_db
	start_zabbix
	wait_for alertmanager http_ok "http://127.0.0.1:$AM_PORT/-/ready"
	start_prometheus
	wait_for zinc http_ok -u "$ZINC_USER:$ZINC_PASSWORD" "http://127.0.0.1:$ZINC_PORT/es/"
	wait_for zabbix-server port_busy "$ZBX_PORT"
	wait_for zabbix-web zabbix_api_ready
	zabbix_login_works || die "zabbix: the API answers but user.login as $ZBX_USER failed (log: $(logfile zabbix-web))"
	wait_for prometheus http_ok "http://127.0.0.1:$PROM_PORT/-/ready"
	write_env
	log "all services ready in $(($(now) - t0))s; use them with: . $RUNDIR/env"
}

SERVICES=(prometheus zabbix-web zabbix-server alertmanager zinc)

stop_one() {
	local name=$1 f pid exe i
	f=$(pidfile "$name")
	[[ -f $f ]] || return 0
	if running "$name"; then
		read -r pid exe <"$f"
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			running "$name" || break
			sleep 0.1
		done
		if running "$name"; then
			log "$name: still running after 10s, sending SIGKILL"
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		fi
		log "$name: stopped (pid $pid)"
	fi
	rm -f "$f"
}

cmd_stop() {
	local name
	rm -f "$RUNDIR/env"
	for name in "${SERVICES[@]}"; do
		stop_one "$name"
	done
	stop_postgres_if_we_started_it
}

stop_postgres_if_we_started_it() {
	local f=$RUNDIR/pids/postgresql.started ver cluster
	if [[ -f $f ]]; then
		read -r ver cluster <"$f"
		pg_ctlcluster "$ver" "$cluster" stop && log "postgresql: stopped cluster $ver/$cluster"
		rm -f "$f"
	fi
}

cmd_status() {
	local name pid exe any=0
	for name in zinc alertmanager prometheus zabbix-server zabbix-web; do
		if running "$name"; then
			read -r pid exe <"$(pidfile "$name")"
			printf '%-14s running  pid %-8s %s\n' "$name" "$pid" "$exe"
			any=1
		else
			printf '%-14s stopped\n' "$name"
		fi
	done
	if command -v pg_lsclusters >/dev/null; then
		pg_lsclusters -h | awk '{printf "%-14s %-8s port %s (cluster %s/%s)\n", "postgresql", $4, $3, $1, $2}'
	fi
	[[ -f $RUNDIR/env ]] && echo "env file: $RUNDIR/env"
	[[ $any -eq 1 ]]
}

# ---------------------------------------------------------------------------------------------
# main

usage() {
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
	case "${1:-}" in
	install) cmd_install ;;
	install-browser) cmd_install_browser ;;
	start) cmd_start ;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	-h | --help | help) usage ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
