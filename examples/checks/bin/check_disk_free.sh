#!/bin/sh
# Nagios-style check: free space of a filesystem in percent. Usage: check_disk_free.sh WARN_PCT CRIT_PCT PATH
# Needs only sh and df (coreutils). Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
warn=$1 crit=$2 path=$3
set -- $(df -P "$path" 2>/dev/null | tail -n 1) || true
# df -P columns: filesystem, 1024-blocks, used, available, capacity, mounted on
total=$2 avail=$4
case $total$avail in '' | *[!0-9]*) echo "DISK UNKNOWN: cannot read df for $path"; exit 3 ;; esac
[ "$total" -gt 0 ] || { echo "DISK UNKNOWN: $path has size 0"; exit 3; }
free=$((avail * 100 / total))
msg="free space on $path: ${free}% | free_pct=${free}%;${warn};${crit};0;100"
if [ "$free" -le "$crit" ]; then echo "DISK CRITICAL - $msg"; exit 2; fi
if [ "$free" -le "$warn" ]; then echo "DISK WARNING - $msg"; exit 1; fi
echo "DISK OK - $msg"
