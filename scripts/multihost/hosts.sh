# hosts.sh — test hosts as network namespaces, for test-multihost.sh and bench-multihost.sh
# (sourced, not run).
#
# hosts_up N makes a switch namespace with a bridge and N host namespaces crnn-h1..crnn-hN, each
# joined to the bridge by a veth pair and given 10.213.77.<i>/24 and an /etc/netns hosts file
# naming the others. hosts_down removes every crnn-* namespace (and with it its links, qdiscs
# and addresses) after killing what runs inside. mpi K CMD runs CMD on K ranks, one per host,
# launched from crnn-h1 with the TCP transport and netns-rsh as the rsh agent.

subnet=10.213.77
switch=crnn-sw
hosts=()
multihost_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

hosts_up() {
  local n=$1 i h
  hosts_down
  ip netns add "$switch"
  ip -n "$switch" link add br0 type bridge
  ip -n "$switch" link set br0 up
  for ((i = 1; i <= n; ++i)); do
    h=crnn-h$i
    hosts+=("$h")
    ip netns add "$h"
    ip link add eth0 netns "$h" type veth peer name "port$i" netns "$switch"
    ip -n "$switch" link set "port$i" master br0 up
    ip -n "$h" addr add "$subnet.$i/24" dev eth0
    ip -n "$h" link set eth0 up
    ip -n "$h" link set lo up
  done
  for h in "${hosts[@]}"; do
    mkdir -p "/etc/netns/$h"
    {
      echo "127.0.0.1 localhost"
      for ((i = 1; i <= n; ++i)); do echo "$subnet.$i crnn-h$i"; done
    } >"/etc/netns/$h/hosts"
  done
}

hosts_down() {
  local ns
  for ns in $(ip netns list | awk '{print $1}' | grep '^crnn-' || true); do
    ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns"
    rm -rf "/etc/netns/$ns"
  done
  hosts=()
}

# link_shape RATE: every host's outgoing link limited to RATE (1gbit, 10gbit) with a token
# bucket on its veth end (tbf; the burst is 1 ms at that rate). A full-duplex port: what a host
# receives is limited by its senders' links. No delay is added: this project's CI kernel has
# tbf but not netem. link_shape off removes it.
link_shape() {
  local h burst
  case $1 in
    off) ;;
    1gbit) burst=125kb ;;
    10gbit) burst=1250kb ;;
    *) echo "link_shape: 1gbit, 10gbit or off" >&2; return 1 ;;
  esac
  for h in "${hosts[@]}"; do
    if [[ $1 == off ]]; then
      tc -n "$h" qdisc del dev eth0 root 2>/dev/null || true
    else
      tc -n "$h" qdisc replace dev eth0 root tbf rate "$1" burst "$burst" latency 50ms
    fi
  done
}

# mpi K COMMAND: COMMAND (one string) on ranks 0..K-1 = crnn-h1..crnn-hK, over TCP only.
# rtc_hwloc_vmhole none: Open MPI 4.1.4's daemon maps its hwloc topology into shared memory at
# an address it guesses, and segfaulted there (hwloc_shmem_topology_write) in 3 of 40 launches
# on 3 hosts, failing the launch; without the shared topology, 0 of 40. Each rank's host, this
# one and netns-rsh's, gets its own name (unshare --uts): with the machine's name shared by all,
# 3-host launches failed in 3 of 51 runs ("ORTE does not know how to route a message"), 0 of 43
# with it (docs/scaling.md).
mpi() {
  local k=$1 i
  shift
  : >"$work/hostfile"
  for ((i = 1; i <= k; ++i)); do echo "crnn-h$i slots=1" >>"$work/hostfile"; done
  ip netns exec crnn-h1 unshare --uts /bin/sh -c 'hostname crnn-h1 && exec "$@"' sh \
    env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    timeout 600 mpirun -np "$k" --hostfile "$work/hostfile" --bind-to none \
    --mca plm_rsh_agent "$multihost_dir/netns-rsh" \
    --mca rtc_hwloc_vmhole none --mca btl tcp,self --mca btl_tcp_if_include "$subnet.0/24" \
    --mca oob_tcp_if_include "$subnet.0/24" -x OMP_NUM_THREADS=1 $1
}

# host_pid HOST NAME: the pid of the program NAME running inside HOST's namespace (by its
# executable: charrnn re-executes itself, which leaves "exe" as its command name).
host_pid() {
  local pid
  for pid in $(ip netns pids "$1"); do
    [[ $(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)") == "$2" ]] && { echo "$pid"; return 0; }
  done
  return 1
}

# saved_step DIR: the step of the checkpoint in DIR (0 while there is none).
saved_step() {
  python3 -c "import json,sys
try: print(json.load(open(sys.argv[1] + '/model.json'))['training']['state']['step'])
except Exception: print(0)" "$1"
}
