#!/bin/bash
# failover.sh again with client and peer TLS and certificate authentication on
# every link, and etcd's authentication on: every request is checked as
# the user root named by the clients' certificate (tests/lib.sh T_TLS=1,
# T_AUTH=1).
export T_TLS=1 T_AUTH=1
exec bash "$(dirname "$0")/failover.sh"
