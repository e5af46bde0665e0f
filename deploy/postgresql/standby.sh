#!/bin/sh
# Make this machine a streaming standby of the Signalfire primary (Debian 12, PostgreSQL 15).
# Run as root on the standby machine, once PostgreSQL is installed there and the primary
# has deploy/postgresql/primary.conf and pg_hba.conf lines and a replication role:
#   primary# runuser -u postgres -- psql -c "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD 'CHANGE-ME'"
# The password comes from ~postgres/.pgpass on this machine (never the command line):
#   echo '*:5432:*:replicator:CHANGE-ME' > ~postgres/.pgpass     (host:port:db:user:password)
#   chown postgres: ~postgres/.pgpass && chmod 0600 ~postgres/.pgpass
# then
#   PRIMARY_HOST=10.0.0.21 sh standby.sh
#
# What it does: stops this machine's cluster, moves its data directory aside (never
# deletes it), copies the primary with pg_basebackup -R (writes standby.signal and
# primary_conninfo) -C -S (creates the replication slot on the primary and uses it),
# and starts the cluster, which then follows the primary.
# The same script rebuilds a failed old primary as the standby of the promoted one
# (docs/deploy.md, "PostgreSQL primary dies"); give each standby its own SLOT.
set -eu

PRIMARY_HOST=${PRIMARY_HOST:?set PRIMARY_HOST to the primary address}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICATION_USER=${REPLICATION_USER:-replicator}
SLOT=${SLOT:-standby1}            # also the standby's application_name (synchronous_standby_names)
PG_VERSION=${PG_VERSION:-15}
PG_CLUSTER=${PG_CLUSTER:-main}

if [ "$(id -u)" != 0 ]; then echo "run as root" >&2; exit 1; fi
if ! pg_lsclusters -h | awk '{print $1 "/" $2}' | grep -qx "$PG_VERSION/$PG_CLUSTER"; then
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER"   # its configuration in /etc/postgresql
fi
DATA=$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c {print $6}')

# 1. The primary answers and accepts this machine's replication connection.
runuser -u postgres -- psql "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$REPLICATION_USER dbname=postgres replication=database" \
    -Atc "IDENTIFY_SYSTEM" >/dev/null

# 2. Stop this cluster and keep its old data directory aside.
pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop 2>/dev/null || true
if [ -d "$DATA" ] && [ -n "$(ls -A "$DATA")" ]; then
    ASIDE="$DATA.before-standby-$(date +%Y%m%d%H%M%S)"
    mv "$DATA" "$ASIDE"
    echo "kept the old data directory as $ASIDE (delete it once the standby runs)"
fi
install -d -o postgres -g postgres -m 0700 "$DATA"

# 3. Copy the primary. -X stream: the WAL written during the copy comes with it;
#    -c fast: checkpoint at once rather than spread out.
runuser -u postgres -- pg_basebackup \
    --dbname="host=$PRIMARY_HOST port=$PRIMARY_PORT user=$REPLICATION_USER application_name=$SLOT" \
    --pgdata="$DATA" --write-recovery-conf --create-slot --slot="$SLOT" \
    --wal-method=stream --checkpoint=fast --progress

# 4. Start it: it follows the primary from the slot.
pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
sleep 2
IN_RECOVERY=$(runuser -u postgres -- psql --cluster "$PG_VERSION/$PG_CLUSTER" -Atc "SELECT pg_is_in_recovery()")
if [ "$IN_RECOVERY" != t ]; then echo "the cluster is not in recovery: not a standby" >&2; exit 1; fi
runuser -u postgres -- psql --cluster "$PG_VERSION/$PG_CLUSTER" -Atc \
    "SELECT 'standby of ' || sender_host || ':' || sender_port || ', ' || status FROM pg_stat_wal_receiver"
echo "on the primary, check:  SELECT application_name, state, sync_state FROM pg_stat_replication;"
