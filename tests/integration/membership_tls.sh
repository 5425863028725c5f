#!/bin/bash
# membership.sh again with client and peer TLS and certificate authentication on
# every link (tests/lib.sh T_TLS=1).
export T_TLS=1
exec bash "$(dirname "$0")/membership.sh"
