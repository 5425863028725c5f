#!/bin/bash
# An etcd deployment's configuration, as written for etcd 3.4, starts
# etcfsd: goreman Procfile lines with etcd's flags (--enable-pprof,
# --logger=zap, --log-outputs=stderr: accepted, each named in one warning),
# docker-compose style ETCD_* environments of one and three members
# (auto-compaction, quota and the v2 API included), an etcd.conf with quoted values as --config-file and as an
# EnvironmentFile, --log-outputs to a file, and ETCFS_* over ETCD_*.
source "$(dirname "$0")/../lib.sh"

ep() { echo "http://127.0.0.1:$1"; }
# Procfile (etcd's own, ports moved): three members
for n in 1 2 3; do node_ports $n; done
IC="infra1=$(ep ${T_PPORT[1]}),infra2=$(ep ${T_PPORT[2]}),infra3=$(ep ${T_PPORT[3]})"
for n in 1 2 3; do
    line="--name infra$n --listen-client-urls $(ep ${T_CPORT[$n]}) --advertise-client-urls $(ep ${T_CPORT[$n]}) --listen-peer-urls $(ep ${T_PPORT[$n]}) --initial-advertise-peer-urls $(ep ${T_PPORT[$n]}) --initial-cluster-token etcd-cluster-1 --initial-cluster '$IC' --initial-cluster-state new --enable-pprof --logger=zap --log-outputs=stderr"
    (cd "$T_DIR" && eval "exec '$ETCFSD' $line" >>"$T_DIR/n$n.log" 2>&1) &
    T_PIDS[$n]=$!
done
for n in 1 2 3; do check "Procfile member infra$n serves" wait_until 20 healthy ${T_CPORT[$n]}; done
put ${T_CPORT[1]} /pf/x y >/dev/null
expect_eq "a put on infra1 reads on infra3 at once" "y" "$(getv ${T_CPORT[3]} /pf/x)"
log1=$(cat "$T_DIR/n1.log")
expect_match "--enable-pprof is accepted and named in a warning" "WARN .*--enable-pprof=true is etcd's and has no effect here" "$log1"
expect_match "--logger=zap too" "WARN .*--logger=zap is etcd's and has no effect here" "$log1"
expect_eq "... once each" "1" "$(grep -c 'enable-pprof' "$T_DIR/n1.log")"
check "the start-up summary names member, cluster and timing" grep -q "member [0-9a-f]* (infra1) of cluster [0-9a-f]* started: data dir infra1.etcfs, advertised peer $(ep ${T_PPORT[1]}), client $(ep ${T_CPORT[1]}), heartbeat 100 ms, election 1000 ms, snapshot count 100000" "$T_DIR/n1.log"
for n in 1 2 3; do node_stop $n; done

# docker-compose style: a one-member cluster from ETCD_* variables only
node_ports 4
(
    export ETCD_NAME=etcd0 ETCD_DATA_DIR="$T_DIR/compose" \
        ETCD_LISTEN_CLIENT_URLS="$(ep ${T_CPORT[4]})" ETCD_ADVERTISE_CLIENT_URLS="$(ep ${T_CPORT[4]})" \
        ETCD_LISTEN_PEER_URLS="$(ep ${T_PPORT[4]})" ETCD_INITIAL_ADVERTISE_PEER_URLS="$(ep ${T_PPORT[4]})" \
        ETCD_INITIAL_CLUSTER="etcd0=$(ep ${T_PPORT[4]})" ETCD_INITIAL_CLUSTER_STATE=new \
        ETCD_INITIAL_CLUSTER_TOKEN=tkn ETCD_AUTO_COMPACTION_MODE=revision ETCD_AUTO_COMPACTION_RETENTION=1000 \
        ETCD_QUOTA_BACKEND_BYTES=4294967296 ETCD_ENABLE_V2=false \
        ETCD_LISTEN_METRICS_URLS="$(ep $((T_CPORT[4] + 5)))"
    exec "$ETCFSD" >>"$T_DIR/n4.log" 2>&1
) &
T_PIDS[4]=$!
check "a compose-style ETCD_* environment starts a member" wait_until 20 healthy ${T_CPORT[4]}
expect_match "... named by ETCD_NAME" "etcd0, $(ep ${T_PPORT[4]}), $(ep ${T_CPORT[4]}), false" "$("$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[4]}" member list 2>&1)"
check "... with its data dir from ETCD_DATA_DIR" test -d "$T_DIR/compose"
check "... and its auto-compaction" grep -q "auto-compaction: keeping the last 1000 revisions" "$T_DIR/n4.log"
mp=$((T_CPORT[4] + 5))
expect_match "ETCD_LISTEN_METRICS_URLS: /metrics there" "etcd_server_has_leader 1" "$(curl -s -m 5 "$(ep $mp)/metrics")"
expect_match "... /health there" '"health":"true"' "$(curl -s -m 5 "$(ep $mp)/health")"
expect_eq "... and not the KV API (404)" "404" "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "$(ep $mp)/v3/kv/range" -d '{"key":"eA=="}')"
node_stop 4

# docker-compose style, three services (etcd's docs' compose file, bitnami's
# ALLOW_NONE_AUTHENTICATION included, ports moved to 127.0.0.1): each
# member from its environment only
for n in 5 6 7; do node_ports $n; done
IC="etcd5=$(ep ${T_PPORT[5]}),etcd6=$(ep ${T_PPORT[6]}),etcd7=$(ep ${T_PPORT[7]})"
for n in 5 6 7; do
    (
        export ALLOW_NONE_AUTHENTICATION=yes ETCD_NAME=etcd$n ETCD_DATA_DIR="$T_DIR/compose$n" \
            ETCD_LISTEN_CLIENT_URLS="$(ep ${T_CPORT[$n]})" ETCD_ADVERTISE_CLIENT_URLS="$(ep ${T_CPORT[$n]})" \
            ETCD_LISTEN_PEER_URLS="$(ep ${T_PPORT[$n]})" ETCD_INITIAL_ADVERTISE_PEER_URLS="$(ep ${T_PPORT[$n]})" \
            ETCD_INITIAL_CLUSTER="$IC" ETCD_INITIAL_CLUSTER_STATE=new ETCD_INITIAL_CLUSTER_TOKEN=etcd-cluster \
            ETCD_AUTO_COMPACTION_MODE=revision ETCD_AUTO_COMPACTION_RETENTION=1002 ETCD_ENABLE_V2=true
        exec "$ETCFSD" >>"$T_DIR/n$n.log" 2>&1
    ) &
    T_PIDS[$n]=$!
done
for n in 5 6 7; do check "a 3-service compose environment: etcd$n serves" wait_until 20 healthy ${T_CPORT[$n]}; done
expect_eq "... one cluster of etcd5, etcd6, etcd7" "etcd5 etcd6 etcd7" \
    "$("$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[6]}" member list 2>&1 | cut -d, -f3 | tr -d ' ' | sort | xargs)"
put ${T_CPORT[5]} /compose/x y >/dev/null
expect_eq "... a put on etcd5 reads on etcd7 at once" "y" "$(getv ${T_CPORT[7]} /compose/x)"
expect_match "... ETCD_ENABLE_V2=true: /v2/members answers" '"name":"etcd6"' "$(curl -s -m 5 "$(ep ${T_CPORT[7]})/v2/members")"
for n in 5 6 7; do node_stop $n; done

# etcd.conf with quoted values: as --config-file, then as an EnvironmentFile
cat >"$T_DIR/etcd.conf" <<CONF
# /etc/etcd/etcd.conf
ETCD_NAME="conf0"
ETCD_DATA_DIR="$T_DIR/conf"
ETCD_LISTEN_CLIENT_URLS="$(ep ${T_CPORT[4]})"
ETCD_ADVERTISE_CLIENT_URLS="$(ep ${T_CPORT[4]})"
ETCD_LISTEN_PEER_URLS="$(ep ${T_PPORT[4]})"
ETCD_INITIAL_ADVERTISE_PEER_URLS="$(ep ${T_PPORT[4]})"
ETCD_INITIAL_CLUSTER="conf0=$(ep ${T_PPORT[4]})"
CONF
"$ETCFSD" --config-file "$T_DIR/etcd.conf" --log-outputs "$T_DIR/file.log" >>"$T_DIR/n4.log" 2>&1 &
T_PIDS[4]=$!
check "etcd.conf as --config-file starts a member" wait_until 20 healthy ${T_CPORT[4]}
expect_match "... named conf0" "conf0, " "$("$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[4]}" member list 2>&1)"
check "--log-outputs FILE: the log lines go to the file" grep -q "ready to serve client requests" "$T_DIR/file.log"
put ${T_CPORT[4]} /conf/k kept >/dev/null
node_stop 4
( set -a; source "$T_DIR/etcd.conf"; set +a; exec "$ETCFSD" ) >>"$T_DIR/n4.log" 2>&1 &
T_PIDS[4]=$!
check "etcd.conf as an EnvironmentFile (set -a; source) restarts it" wait_until 20 healthy ${T_CPORT[4]}
expect_eq "... with the data written before" "kept" "$(getv ${T_CPORT[4]} /conf/k)"
node_stop 4
( set -a; source "$T_DIR/etcd.conf"; set +a; export ETCFS_NAME=conf0; exec "$ETCFSD" ) >>"$T_DIR/n4b.log" 2>&1 &
T_PIDS[4]=$!
check "ETCFS_NAME and ETCD_NAME both set: it starts" wait_until 20 healthy ${T_CPORT[4]}
check "... and says ETCD_NAME was not used" grep -q "ETCFS_NAME is set: ETCD_NAME is not used" "$T_DIR/n4b.log"
node_stop 4

# etcd's YAML config file (etcd.conf.yml.sample's shape)
cat >"$T_DIR/etcd.yml" <<YML
# This is the configuration file for the etcd server.
name: 'yaml0'
data-dir: $T_DIR/yaml
wal-dir:
snapshot-count: 10000
heartbeat-interval: 100
election-timeout: 1000
listen-peer-urls: $(ep ${T_PPORT[4]})
listen-client-urls: $(ep ${T_CPORT[4]})
initial-advertise-peer-urls: $(ep ${T_PPORT[4]})
advertise-client-urls: $(ep ${T_CPORT[4]})
initial-cluster: yaml0=$(ep ${T_PPORT[4]})
initial-cluster-token: 'etcd-cluster'
initial-cluster-state: 'new'
enable-v2: true
proxy: 'off'
client-transport-security:
  client-cert-auth: false
  auto-tls: false
debug: false
logger: zap
log-outputs: [stderr]
YML
"$ETCFSD" --config-file "$T_DIR/etcd.yml" >>"$T_DIR/n4y.log" 2>&1 &
T_PIDS[4]=$!
check "etcd's YAML config file starts a member" wait_until 20 healthy ${T_CPORT[4]}
expect_match "... named yaml0" "yaml0, $(ep ${T_PPORT[4]}), $(ep ${T_CPORT[4]}), false" "$("$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[4]}" member list 2>&1)"
check "... its keys without meaning here named in a warning" grep -q "keys without meaning here ignored: proxy" "$T_DIR/n4y.log"
expect_eq "... enable-v2: true serves /v2/keys" 404 "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$(ep ${T_CPORT[4]})/v2/keys/nothing")"
expect_match "... (etcd's 404 of a missing key, not a missing API)" '"errorCode":100' "$(curl -s -m 5 "$(ep ${T_CPORT[4]})/v2/keys/nothing")"
node_stop 4
finish
