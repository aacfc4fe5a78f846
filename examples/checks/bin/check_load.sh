#!/bin/sh
# Nagios-style check: 5-minute load average per CPU. Usage: check_load.sh WARN CRIT (integers, load per CPU)
# Needs only sh, /proc/loadavg and nproc (coreutils). Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
warn=$1 crit=$2
read -r _ load5 _ < /proc/loadavg || { echo "LOAD UNKNOWN: cannot read /proc/loadavg"; exit 3; }
cpus=$(nproc) || { echo "LOAD UNKNOWN: nproc failed"; exit 3; }
# load in hundredths, integer arithmetic only (sh has no floats)
hundredths=$(( ${load5%.*} * 100 + $(echo "${load5#*.}00" | cut -c1-2 | sed 's/^0//') ))
per_cpu=$((hundredths / cpus))
msg="load5 $load5 on $cpus CPUs ($((per_cpu / 100)).$(printf '%02d' $((per_cpu % 100))) per CPU) | load5=$load5"
if [ "$per_cpu" -ge $((crit * 100)) ]; then echo "LOAD CRITICAL - $msg"; exit 2; fi
if [ "$per_cpu" -ge $((warn * 100)) ]; then echo "LOAD WARNING - $msg"; exit 1; fi
echo "LOAD OK - $msg"
